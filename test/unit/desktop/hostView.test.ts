// @vitest-environment happy-dom
/**
 * The host's view (HostingInfo): the address colleagues enter in the app, the
 * browser address for those without it, the fingerprint they compare, who may
 * join, and the network the server listens on (changing it hosts again there).
 */
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import type { DesktopBridge, HostInfo, HostOptions } from '../../../protocol/desktop';
import HostingInfo from '../../../renderer/src/components/HostingInfo.vue';
import ServerSetup from '../../../renderer/src/components/ServerSetup.vue';
import { useServerStore } from '../../../renderer/src/stores/server';
import { plugins } from '../renderer/helpers';

const FP = Array.from({ length: 32 }, (_, i) => (0xb0 + i).toString(16).toUpperCase()).join(':');
const HOST: HostInfo = {
  url: 'https://192.168.1.20:7420',
  port: 7420,
  lanAddresses: ['https://192.168.1.20:7420'],
  address: '192.168.1.20',
  addressChoice: 'auto',
  interfaces: ['192.168.1.20', '10.0.0.9'],
  registration: 'invite',
  fingerprint: FP,
  shortFingerprint: 'B0B1 B2B3 B4B5 B6B7',
};

afterEach(() => {
  delete (globalThis as { tickline?: unknown }).tickline;
});

function mountWith(info: HostInfo, calls: [number, HostOptions | undefined][] = []) {
  const bridge: Partial<DesktopBridge> = {
    hostServer: async (port, options) => {
      calls.push([port, options]);
      return { ok: true, value: { ...info, address: options?.address ?? 'auto' } };
    },
  };
  (globalThis as { tickline?: unknown }).tickline = bridge;
  const setup = plugins();
  useServerStore().choice = { mode: 'host', ...info };
  return mount(HostingInfo, { ...setup, props: { addresses: info.lanAddresses } });
}

describe('host view', () => {
  it('shows the app address, the browser address, the fingerprint and the invite hint', () => {
    const wrapper = mountWith(HOST);
    expect(wrapper.get('[data-testid="host-app-address"]').text()).toBe('192.168.1.20:7420');
    expect(wrapper.get('[data-testid="host-browser-address"]').text()).toBe(
      'https://192.168.1.20:7420/',
    );
    expect(wrapper.get('[data-testid="host-fingerprint"]').text()).toBe('B0B1 B2B3 B4B5 B6B7');
    expect(wrapper.text()).toContain('create invites in Settings → Admin');
  });

  it('says when anyone may join, and when hosting is paused', () => {
    const wrapper = mountWith({ ...HOST, registration: 'open', paused: true });
    expect(wrapper.text()).toContain('Anyone on the network can create an account.');
    expect(wrapper.text()).toContain('Hosting is paused');
  });

  it('hosts again on the network the person picks', async () => {
    const calls: [number, HostOptions | undefined][] = [];
    const wrapper = mountWith(HOST, calls);
    await wrapper.get('select[name="host-network"]').setValue('10.0.0.9');
    await flushPromises();
    expect(calls).toEqual([[7420, { registration: 'invite', address: '10.0.0.9' }]]);
  });

  it('asks on the first run who may join (invites by default) and on which network', async () => {
    const calls: [number, HostOptions | undefined][] = [];
    (globalThis as { tickline?: unknown }).tickline = {
      listInterfaces: async () => ['192.168.1.20', '10.0.0.9'],
      hostServer: async (port: number, options?: HostOptions) => {
        calls.push([port, options]);
        return { ok: false, code: 'internal', error: 'stop here' };
      },
    } satisfies Partial<DesktopBridge>;
    const wrapper = mount(ServerSetup, plugins());
    await flushPromises();
    expect(wrapper.get<HTMLInputElement>('input[value="invite"]').element.checked).toBe(true);
    expect(
      wrapper.findAll('select[name="network"] option').map((option) => option.attributes('value')),
    ).toEqual(['auto', '192.168.1.20', '10.0.0.9']);
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    await wrapper.get('input[value="open"]').setValue(true);
    await wrapper.get('select[name="network"]').setValue('10.0.0.9');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(calls).toEqual([
      [7420, { registration: 'invite', address: 'auto' }],
      [7420, { registration: 'open', address: '10.0.0.9' }],
    ]);
  });
});
