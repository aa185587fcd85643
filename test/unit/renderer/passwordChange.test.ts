// @vitest-environment happy-dom
/**
 * Profile: Settings changes the person's password. A new password too short
 * or typed differently twice is not sent; a wrong current password is
 * explained; a change that works says so, clears the fields and reloads the
 * device list (the other sessions were ended).
 */
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import PasswordChange from '../../../renderer/src/components/PasswordChange.vue';
import { useSessionStore } from '../../../renderer/src/stores/session';
import { plugins } from './helpers';

afterEach(() => vi.unstubAllGlobals());

/** The component, signed in, with the HTTP API faked; `calls` are the POST bodies sent. */
function form(answer: () => Response) {
  const calls: unknown[] = [];
  const deviceLoads: string[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    if (String(url).endsWith('/api/password') && init.method === 'POST') {
      calls.push(JSON.parse(String(init.body)));
      return answer();
    }
    if (String(url).endsWith('/api/devices')) deviceLoads.push(String(url));
    return Response.json({ devices: [] });
  });
  const setup = plugins();
  const session = useSessionStore();
  session.serverUrl = 'http://server.test';
  session.session = { userId: 'u1', username: 'ann', displayName: 'Ann', token: 't' };
  const wrapper = mount(PasswordChange, setup);
  const fill = async (current: string, next: string, repeat = next) => {
    await wrapper.get('input[name="currentPassword"]').setValue(current);
    await wrapper.get('input[name="newPassword"]').setValue(next);
    await wrapper.get('input[name="repeatPassword"]').setValue(repeat);
    await wrapper.get('form').trigger('submit');
    await flushPromises();
  };
  const value = (name: string) =>
    (wrapper.get(`input[name="${name}"]`).element as HTMLInputElement).value;
  return { wrapper, calls, deviceLoads, fill, value };
}

describe('changing the password', () => {
  it('sends the current and the new password; says it worked, clears the fields, reloads the devices', async () => {
    const { wrapper, calls, deviceLoads, fill, value } = form(() => Response.json({ ok: true }));
    await fill('old secret 1', 'new secret 22');
    expect(calls).toEqual([{ currentPassword: 'old secret 1', newPassword: 'new secret 22' }]);
    expect(wrapper.get('[role="status"]').text()).toBe(
      'Password changed. Your other sessions were signed out.',
    );
    expect(wrapper.find('[role="alert"]').exists()).toBe(false);
    expect([value('currentPassword'), value('newPassword'), value('repeatPassword')]).toEqual([
      '',
      '',
      '',
    ]);
    expect(deviceLoads).toHaveLength(1);
  });

  it.each([
    ['shorter than 8 characters', 'short', 'short', 'Passwords have at least 8 characters.'],
    ['typed differently twice', 'new secret 22', 'new secret 23', 'The two new passwords differ.'],
  ])('does not send a new password %s', async (_what, next, repeat, text) => {
    const { wrapper, calls, fill } = form(() => Response.json({ ok: true }));
    await fill('old secret 1', next, repeat);
    expect(calls).toEqual([]);
    expect(wrapper.get('[role="alert"]').text()).toBe(text);
  });

  it('a wrong current password is explained, and the fields stay for another try', async () => {
    const { wrapper, calls, fill, value } = form(() =>
      Response.json(
        { error: { code: 'bad_credentials', message: 'wrong password' } },
        { status: 401 },
      ),
    );
    await fill('not it', 'new secret 22');
    expect(calls).toHaveLength(1);
    expect(wrapper.get('[role="alert"]').text()).toBe('The current password is wrong.');
    expect(wrapper.find('[role="status"]').exists()).toBe(false);
    expect(value('newPassword')).toBe('new secret 22');
  });
});
