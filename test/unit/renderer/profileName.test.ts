// @vitest-environment happy-dom
/**
 * Profile: Settings changes the person's display name. A name the server
 * would refuse is not sent and says why; a good one is sent, and the saved
 * session (the "Signed in as" line) follows.
 */
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, describe, expect, it, vi } from 'vitest';
import ProfileName from '../../../renderer/src/components/ProfileName.vue';
import { useSessionStore } from '../../../renderer/src/stores/session';
import { plugins } from './helpers';

afterEach(() => vi.unstubAllGlobals());

/** The component, signed in as Ann, with the HTTP API faked; `calls` are the PATCH bodies sent. */
function profile(answer: (body: unknown) => Response) {
  const calls: unknown[] = [];
  vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
    if (String(url).endsWith('/api/me') && init.method === 'PATCH') {
      const body = JSON.parse(String(init.body)) as unknown;
      calls.push(body);
      return answer(body);
    }
    return Response.json({ users: [] });
  });
  const setup = plugins();
  const session = useSessionStore();
  session.serverUrl = 'http://server.test';
  session.session = { userId: 'u1', username: 'ann', displayName: 'Ann', token: 't' };
  const wrapper = mount(ProfileName, setup);
  return { wrapper, session, calls };
}

describe('changing the display name', () => {
  it('sends a good name and the session shows it', async () => {
    const { wrapper, session, calls } = profile((body) =>
      Response.json({ ...(body as object), readReceipts: true }),
    );
    expect((wrapper.get('input[name="displayName"]').element as HTMLInputElement).value).toBe(
      'Ann',
    );
    await wrapper.get('input[name="displayName"]').setValue('  Ann Lee ');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(calls).toEqual([{ displayName: 'Ann Lee' }]);
    expect(session.session?.displayName).toBe('Ann Lee');
    expect(wrapper.get('[role="status"]').text()).toBe('Name saved.');
  });

  it.each([
    ['empty', '   '],
    ['too long', 'x'.repeat(65)],
    ['with a bidi override', 'Ann\u202Eexe'],
  ])('refuses a name that is %s without sending it', async (_what, name) => {
    const { wrapper, session, calls } = profile(() => Response.json({}));
    await wrapper.get('input[name="displayName"]').setValue(name);
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(calls).toEqual([]);
    expect(wrapper.get('[role="alert"]').text()).toBe('Enter 1–64 visible characters.');
    expect(session.session?.displayName).toBe('Ann');
  });

  it('when the server refuses, says so and keeps the old name', async () => {
    const { wrapper, session, calls } = profile(() =>
      Response.json(
        { ok: false, error: { code: 'invalid_input', message: 'bad' } },
        { status: 400 },
      ),
    );
    await wrapper.get('input[name="displayName"]').setValue('Ann Lee');
    await wrapper.get('form').trigger('submit');
    await flushPromises();
    expect(calls).toHaveLength(1);
    expect(wrapper.get('[role="alert"]').text()).toBe('The name could not be saved. Try again.');
    expect(session.session?.displayName).toBe('Ann');
  });
});
