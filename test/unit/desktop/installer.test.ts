/**
 * The installers' configuration as electron-builder itself reads and
 * validates it: the Electron fuses that close the ways to run other code in
 * the packaged app are set, and the file passes electron-builder's schema.
 */
import path from 'node:path';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { DebugLogger } from 'builder-util';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../../..');

describe('electron-builder.yml', () => {
  it('flips the fuses: no RunAsNode, NODE_OPTIONS or --inspect; asar only, integrity checked', async () => {
    const config = await getConfig(ROOT, 'electron-builder.yml', null);
    await validateConfiguration(config, new DebugLogger(false));
    expect(config.electronFuses).toMatchObject({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
    // The fuse that makes asar-only loading meaningful: the app is an asar.
    expect(config.asar).toBe(true);
  });
});
