/**
 * The installers' configuration as electron-builder itself reads and
 * validates it: the Electron fuses that close the ways to run other code in
 * the packaged app are set, and the file passes electron-builder's schema.
 */
import path from 'node:path';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { DebugLogger } from 'builder-util';
import { describe, expect, it } from 'vitest';
import { calibrate, referenceWork } from '../../support/calibrate';

const ROOT = path.resolve(import.meta.dirname, '../../..');

/**
 * The test's time is electron-builder compiling its configuration schema
 * (ajv) the first time it validates: 1.7 s on an idle 2-core machine, 6–11 s
 * with the machine at load 11. It cannot be timed apart from the test, so the
 * test's cost is stated in units of {@link referenceWork}, timed here: next to
 * it, at load 10–12, validating took 13–52 of them, so the test is given 50.
 */
const cpu = await calibrate('the reference CPU work', referenceWork);
const VALIDATING = { timeout: cpu.timeout(50) };

describe('electron-builder.yml', VALIDATING, () => {
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
