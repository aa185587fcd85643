// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import SignInView from '../../../renderer/src/components/SignInView.vue';
import { useSessionStore, type AuthError } from '../../../renderer/src/stores/session';
import { plugins } from './helpers';

/** The sign-in view showing `error`. */
function showing(error: AuthError) {
  const setup = plugins();
  const session = useSessionStore();
  session.load('http://server.test:7420');
  session.error = error;
  return mount(SignInView, setup).get('[role="alert"]').text();
}

describe('a sign-in lockout says how long to wait', () => {
  it.each([
    [4_200, 'Too many attempts. Try again in 5 s.'],
    [60_000, 'Too many attempts. Try again in 60 s.'],
    [10, 'Too many attempts. Try again in 1 s.'],
  ])('retryAfterMs %i → %j', (retryAfterMs, text) => {
    expect(showing({ code: 'rate_limited', message: 'wait a moment', retryAfterMs })).toBe(text);
  });

  it('a busy server too', () => {
    expect(showing({ code: 'unavailable', message: 'busy', retryAfterMs: 2_000 })).toBe(
      'The server is busy. Try again in 2 s.',
    );
  });
});
