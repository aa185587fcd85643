// @vitest-environment happy-dom
/**
 * The Connect screen's trust-on-first-use step, end to end without Electron:
 * the real `ServerSetup` component, a bridge wired straight to the real
 * `ServerChoiceController` (as the main process wires it over IPC) and real
 * im-servers over TLS. A new server's fingerprint is shown for comparing and
 * pinned only on acceptance; a changed one is blocked until the explicit step;
 * a plain-http server is flagged as not encrypted.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { shortFingerprint } from '../../../desktop/fingerprint';
import { PinStore } from '../../../desktop/pins';
import { ServerChoiceController } from '../../../desktop/serverChoice';
import type { DesktopBridge } from '../../../protocol/desktop';
import ServerSetup from '../../../renderer/src/components/ServerSetup.vue';
import { useServerStore } from '../../../renderer/src/stores/server';
import { calibrate } from '../../support/calibrate';
import { startServer, tempDir } from '../../support/servers';
import { plugins } from '../renderer/helpers';

/**
 * The slow steps here are im-server starts over TLS (a new certificate, a
 * SQLite file, the store's worker thread: 1–2.5 s on an idle 2-core
 * machine) and the probe of one over https. One start and stop is timed
 * here: a wait for the screen to show what a probe or a connection found gets
 * its timeout (vitest's `waitFor` default of 1 s is less than one such step on
 * a busy machine), a test (two starts at most, probes, connecting) four times
 * that.
 */
const starts = await calibrate('one in-process im-server start and stop over TLS', async () => {
  const server = await startServer({ tls: 'auto' });
  await server.close();
});
/** For `vi.waitFor` of one probe or connection. */
const ONE_STEP = { timeout: starts.timeout(1), interval: 20 };

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
  delete (globalThis as { tickline?: unknown }).tickline;
});

/** `window.tickline` backed by the real controller (no embedded server running). */
function installBridge(dir: string): { pinsFile: string } {
  const pinsFile = path.join(dir, 'pins.json');
  const choice = new ServerChoiceController({
    settingsFile: path.join(dir, 'settings.json'),
    pins: new PinStore(pinsFile),
    embedded: {
      start: async () => ({ ok: false, code: 'internal', error: 'not in this test' }),
      stop: async () => undefined,
      port: undefined,
      host: undefined,
      fingerprint: undefined,
      setupCode: undefined,
    },
    networkInterfaces: () => ({}),
  });
  const bridge: Partial<DesktopBridge> = {
    getServerChoice: () => choice.getServerChoice(),
    listInterfaces: async () => choice.listInterfaces(),
    probeServer: (address, advertised) => choice.probeServer(address, advertised ?? null),
    connectServer: (address, fingerprint, replace) =>
      choice.connectServer(address, fingerprint ?? null, replace ?? false),
  };
  (globalThis as { tickline?: unknown }).tickline = bridge;
  return { pinsFile };
}

async function remote(options: { port?: number; tls?: 'auto' | 'off' } = {}) {
  const server = await startServer({ tls: 'auto', ...options });
  cleanup.push(() => server.close());
  return server;
}

/** Mounts the setup screen and submits `address` on the Connect form. */
async function submit(address: string) {
  const wrapper = mount(ServerSetup, { ...plugins(), attachTo: document.body });
  cleanup.push(() => wrapper.unmount());
  await wrapper.get('input[value="connect"]').setValue(true);
  await wrapper.get('input[name="address"]').setValue(address);
  await wrapper.get('form').trigger('submit');
  await vi.waitFor(async () => {
    await flushPromises();
    expect(wrapper.find('[data-testid="fingerprint-check"]').exists()).toBe(true);
  }, ONE_STEP);
  return wrapper;
}

function button(wrapper: ReturnType<typeof mount>, text: string) {
  const found = wrapper.findAll('button').find((b) => b.text() === text);
  if (!found) throw new Error(`no button "${text}"`);
  return found;
}

describe('Connect screen: trust on first use', { timeout: starts.timeout(4) }, () => {
  it('shows a new server’s fingerprint to compare and pins it only once accepted', async () => {
    const tmp = tempDir('tickline-connect-');
    cleanup.push(tmp.remove);
    const { pinsFile } = installBridge(tmp.dir);
    const server = await remote();
    const wrapper = await submit(server.url.replace('https://', ''));

    const check = wrapper.get('[data-testid="fingerprint-check"]');
    expect(check.attributes('data-state')).toBe('new');
    expect(wrapper.get('[data-testid="fingerprint-short"]').text()).toBe(
      shortFingerprint(server.fingerprint!),
    );
    expect(wrapper.find('[data-testid="fingerprint-full"]').exists()).toBe(false);
    await button(wrapper, 'Show the full fingerprint').trigger('click');
    expect(wrapper.get('[data-testid="fingerprint-full"]').text()).toBe(server.fingerprint);
    expect(existsSync(pinsFile)).toBe(false); // looking is not trusting

    await button(wrapper, 'It matches — connect').trigger('click');
    await vi.waitFor(async () => {
      await flushPromises();
      expect(useServerStore().choice).toMatchObject({ mode: 'connect', url: server.url });
    }, ONE_STEP);
    expect(JSON.parse(readFileSync(pinsFile, 'utf8')).pins).toEqual({
      [server.url]: server.fingerprint,
    });
  });

  it('pins nothing when the person cancels', async () => {
    const tmp = tempDir('tickline-connect-');
    cleanup.push(tmp.remove);
    const { pinsFile } = installBridge(tmp.dir);
    const server = await remote();
    const wrapper = await submit(server.url);
    await button(wrapper, 'Cancel').trigger('click');
    expect(wrapper.find('[data-testid="fingerprint-check"]').exists()).toBe(false);
    expect(wrapper.find('input[name="address"]').exists()).toBe(true);
    expect(existsSync(pinsFile)).toBe(false);
    expect(useServerStore().choice).toBeNull();
  });

  it('blocks a changed certificate with a warning until the new one is explicitly trusted', async () => {
    const tmp = tempDir('tickline-connect-');
    cleanup.push(tmp.remove);
    const { pinsFile } = installBridge(tmp.dir);
    const first = await remote();
    await new PinStore(pinsFile).set(first.url, first.fingerprint!);
    await first.close();
    const second = await remote({ port: first.port });

    const wrapper = await submit(second.url);
    const check = wrapper.get('[data-testid="fingerprint-check"]');
    expect(check.attributes('data-state')).toBe('changed');
    const alert = wrapper.get('[role="alert"]');
    expect(alert.text()).toContain('the server’s certificate changed');
    expect(alert.text()).toContain(shortFingerprint(first.fingerprint!));
    expect(alert.text()).toContain(shortFingerprint(second.fingerprint!));
    expect(alert.text()).toContain('Do not continue before you asked the person hosting');
    const trust = button(wrapper, 'Trust the new certificate');
    expect(trust.attributes('disabled')).toBeDefined();
    await wrapper.get('input[name="confirm-new-fingerprint"]').setValue(true);
    expect(trust.attributes('disabled')).toBeUndefined();
    await trust.trigger('click');
    await vi.waitFor(async () => {
      await flushPromises();
      expect(useServerStore().choice).toMatchObject({ mode: 'connect', url: second.url });
    }, ONE_STEP);
    expect(JSON.parse(readFileSync(pinsFile, 'utf8')).pins[second.url]).toBe(second.fingerprint);
  });

  it('says a plain-http server’s link is not encrypted before connecting', async () => {
    const tmp = tempDir('tickline-connect-');
    cleanup.push(tmp.remove);
    installBridge(tmp.dir);
    const server = await remote({ tls: 'off' });
    const wrapper = await submit(server.url.replace('http://', ''));
    expect(wrapper.get('[data-testid="fingerprint-check"]').attributes('data-state')).toBe('none');
    expect(wrapper.text()).toContain('This link is not encrypted');
    await button(wrapper, 'Connect anyway').trigger('click');
    await vi.waitFor(async () => {
      await flushPromises();
      expect(useServerStore().choice).toMatchObject({ mode: 'connect', url: server.url });
    }, ONE_STEP);
  });
});
