// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import SignInView from '../../../renderer/src/components/SignInView.vue';
import { useSessionStore } from '../../../renderer/src/stores/session';
import { plugins } from './helpers';

const URL = 'http://server.test:7420';

beforeEach(() => localStorage.clear());
afterEach(() => vi.unstubAllGlobals());

/** The sign-in view for `URL` as a fresh page load would show it. */
function signInView() {
  const setup = plugins();
  useSessionStore().load(URL);
  return mount(SignInView, setup);
}

/** The server's answer to a successful register or login. */
function serverAccepts(): void {
  const session = { token: 'tok', userId: 'u1', username: 'ann', displayName: 'Ann' };
  vi.stubGlobal(
    'fetch',
    vi.fn(
      async () =>
        new Response(JSON.stringify(session), {
          status: 200,
          headers: { 'content-type': 'application/json' },
        }),
    ),
  );
}

describe('"Welcome back" only for people who have signed in here before', () => {
  it('a first visit says "Welcome"', () => {
    expect(signInView().get('h1').text()).toBe('Welcome');
  });

  it('after an account was created (then signed out), it says "Welcome back"', async () => {
    serverAccepts();
    plugins();
    const session = useSessionStore();
    session.load(URL);
    expect(session.returning).toBe(false);
    expect(await session.createAccount('ann', 'correct horse battery')).toBe(true);
    expect(session.returning).toBe(true);
    await session.signOut();
    await flushPromises();
    // A later page load, signed out.
    expect(signInView().get('h1').text()).toBe('Welcome back');
  });

  it('is remembered per server', async () => {
    serverAccepts();
    plugins();
    const session = useSessionStore();
    session.load('http://other.test:7420');
    await session.signIn('ann', 'correct horse battery');
    expect(signInView().get('h1').text()).toBe('Welcome');
  });
});
