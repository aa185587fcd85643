// @vitest-environment happy-dom
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';
import { mutesKey, useMutesStore } from '../../../renderer/src/stores/mutes';

const SERVER = 'http://server.test:7420';
const OTHER_SERVER = 'http://other.test:7420';

/** The mutes store of a fresh page load (new Pinia, same localStorage). */
function reload() {
  setActivePinia(createPinia());
  return useMutesStore();
}

beforeEach(() => localStorage.clear());

describe('mutes are kept per account', () => {
  it('survive a reload for the same user on the same server', () => {
    reload().use(SERVER, 'alice');
    useMutesStore().set('bob', true);
    const again = reload();
    again.use(SERVER, 'alice');
    expect(again.isMuted('bob')).toBe(true);
    expect(again.isMuted('carol')).toBe(false);
  });

  it('do not leak to another user, or to the same name on another server', () => {
    const alice = reload();
    alice.use(SERVER, 'alice');
    alice.set('bob', true);
    // Alice signs out and Dave signs in on the same browser (same store instance).
    alice.use(null);
    expect(alice.isMuted('bob')).toBe(false);
    alice.use(SERVER, 'dave');
    expect(alice.isMuted('bob')).toBe(false);
    alice.use(OTHER_SERVER, 'alice');
    expect(alice.isMuted('bob')).toBe(false);
    alice.use(SERVER, 'alice');
    expect(alice.isMuted('bob')).toBe(true);
  });

  it('unmuting the last chat removes the stored key; signed out, set() changes nothing', () => {
    const store = reload();
    store.use(SERVER, 'alice');
    store.set('bob', true);
    store.set('bob', false);
    expect(localStorage.getItem(mutesKey(`${SERVER}|alice`))).toBeNull();
    store.use(null);
    store.set('bob', true);
    expect(localStorage.length).toBe(0);
  });

  it('an unreadable stored value counts as no mutes', () => {
    localStorage.setItem(mutesKey(`${SERVER}|alice`), '{"not":"a list"}');
    const store = reload();
    store.use(SERVER, 'alice');
    expect(store.isMuted('not')).toBe(false);
  });
});
