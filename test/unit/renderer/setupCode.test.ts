// @vitest-environment happy-dom
/**
 * The first run of a new server (issue 21): the sign-up asks for the setup
 * code when the server says it needs one, refuses to send without it (or
 * with text that cannot be one), sends it with the registration, and in the
 * desktop app that hosts the server is filled in from the host's info.
 */
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DesktopBridge, HostInfo } from '../../../protocol/desktop';
import HostingInfo from '../../../renderer/src/components/HostingInfo.vue';
import SignInView from '../../../renderer/src/components/SignInView.vue';
import { useServerStore } from '../../../renderer/src/stores/server';
import { useSessionStore } from '../../../renderer/src/stores/session';
import { plugins } from './helpers';

const URL = 'https://192.168.1.20:7420';
const CODE = 'ABCD-EFGH-JKMN-PQRS-TVWX';
const HOST: HostInfo = {
  url: URL,
  port: 7420,
  lanAddresses: [URL],
  address: '192.168.1.20',
  addressChoice: 'auto',
  interfaces: ['192.168.1.20'],
  registration: 'invite',
  setupCode: CODE,
};

/** The register bodies the server received. */
let registered: Record<string, unknown>[];

/** A server that has no account yet (`setupRequired`) and accepts every registration. */
function server(setupRequired: boolean): void {
  registered = [];
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      if (url === `${URL}/api/setup`) return json({ setupRequired });
      if (url === `${URL}/api/register`) {
        registered.push(JSON.parse(String(init?.body)) as Record<string, unknown>);
        const session = { token: 'tok', userId: 'u1', username: 'ann', displayName: 'Ann' };
        return json({ ...session, isAdmin: true }, 201);
      }
      return json({ error: { code: 'not_found', message: 'no such route' } }, 404);
    }),
  );
}

beforeEach(() => localStorage.clear());
afterEach(() => {
  vi.unstubAllGlobals();
  delete (globalThis as { tickline?: unknown }).tickline;
});

/** The sign-in view of `URL`, once it asked the server whether it needs setting up. */
async function signInView(host?: HostInfo) {
  if (host) (globalThis as { tickline?: unknown }).tickline = {} satisfies Partial<DesktopBridge>;
  const setup = plugins();
  if (host) useServerStore().choice = { mode: 'host', ...host };
  useSessionStore().load(URL);
  const wrapper = mount(SignInView, { ...setup, attachTo: document.body });
  await flushPromises();
  return Object.assign(wrapper, { setup });
}

async function createAccount(wrapper: Awaited<ReturnType<typeof signInView>>) {
  await wrapper.get('input[name="username"]').setValue('ann');
  await wrapper.get('input[name="password"]').setValue('correct horse battery');
  const button = wrapper.findAll('button').find((b) => b.text() === 'Create account')!;
  await button.trigger('click');
  await flushPromises();
}

describe('the first account of a new server', () => {
  it('asks for the setup code when the server needs it, and sends it', async () => {
    server(true);
    const wrapper = await signInView();
    expect(wrapper.get('h1').text()).toBe('Set up this server');
    expect(wrapper.get('[data-testid="setup-notice"]').text()).toContain('no accounts yet');
    await wrapper.get('[data-testid="setup-code"]').setValue(` ${CODE.toLowerCase()} `);
    await createAccount(wrapper);
    expect(registered).toEqual([
      expect.objectContaining({ username: 'ann', setupCode: CODE.toLowerCase() }),
    ]);
    expect(useSessionStore().session).toMatchObject({ isAdmin: true });
    expect(useSessionStore().setupRequired).toBe(false);
    wrapper.unmount();
  });

  it('sends nothing without a code, or with text that cannot be one, and says why', async () => {
    server(true);
    const wrapper = await signInView();
    await createAccount(wrapper);
    expect(wrapper.get('[role="alert"]').text()).toContain('The setup code is missing or wrong.');
    await wrapper.get('[data-testid="setup-code"]').setValue('ABCD-1234');
    await createAccount(wrapper);
    expect(wrapper.get('[role="alert"]').text()).toBe(
      'A setup code has 20 letters and digits, like ABCD-EFGH-JKMN-PQRS-TVWX.',
    );
    expect(registered).toEqual([]);
    wrapper.unmount();
  });

  it('has no setup field on a server that has its admin', async () => {
    server(false);
    const wrapper = await signInView();
    expect(wrapper.find('[data-testid="setup-code"]').exists()).toBe(false);
    expect(wrapper.get('h1').text()).toBe('Welcome');
    await createAccount(wrapper);
    expect(registered).toEqual([expect.not.objectContaining({ setupCode: expect.anything() })]);
    wrapper.unmount();
  });
});

describe('the desktop app that hosts the server', () => {
  it('fills in its own server’s code for its owner, and shows it in the hosting panel', async () => {
    server(true);
    const wrapper = await signInView(HOST);
    const field = wrapper.get<HTMLInputElement>('[data-testid="setup-code"]');
    expect(field.element.value).toBe(CODE);
    expect(wrapper.text()).toContain('Filled in by this app, which runs the server.');
    const panel = mount(HostingInfo, { ...wrapper.setup, props: { addresses: HOST.lanAddresses } });
    expect(panel.get('[data-testid="host-setup-code"]').text()).toBe(CODE);
    await createAccount(wrapper);
    expect(registered).toEqual([expect.objectContaining({ setupCode: CODE })]);
    // The admin exists: the code is void and no longer shown.
    await flushPromises();
    expect(panel.find('[data-testid="host-setup-code"]').exists()).toBe(false);
    panel.unmount();
    wrapper.unmount();
  });
});
