// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useChatStore } from '../../../renderer/src/stores/chat';
import { useMutesStore } from '../../../renderer/src/stores/mutes';
import { mountIncomingAlert, stubAlerts } from './alertStubs';
import { message } from './helpers';

beforeEach(() => localStorage.clear());
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
});

/** The app's incoming-message handler, signed in as me on a test server; peer is "Peer". */
function handler() {
  const { onIncoming } = mountIncomingAlert();
  const peer = { userId: 'peer', username: 'peer', displayName: 'Peer', online: true };
  useChatStore().users = [peer];
  const mutes = useMutesStore();
  mutes.use('http://server.test:7420', 'me');
  const arrive = () => onIncoming(message({ direction: 'in', body: 'hello' }), peer);
  return { mutes, arrive };
}

describe('a muted chat stays quiet', () => {
  it('unmuted: a notification and one ~150 ms beep (the system sound off)', () => {
    const { shown, beeps } = stubAlerts();
    handler().arrive();
    expect(shown).toHaveLength(1);
    expect(shown[0]!.silent).toBe(true);
    expect(beeps).toHaveLength(1);
    expect(beeps[0]!.stop - beeps[0]!.start).toBeCloseTo(0.15, 5);
  });

  it('muted: no notification is constructed and no sound plays', () => {
    const { shown, beeps } = stubAlerts();
    const { mutes, arrive } = handler();
    mutes.set('peer', true);
    arrive();
    expect(shown).toHaveLength(0);
    expect(beeps).toHaveLength(0);
  });

  it('muted while notifications are not permitted and the window is hidden: still silent', () => {
    const { shown, beeps } = stubAlerts('denied', 'hidden');
    const { mutes, arrive } = handler();
    mutes.set('peer', true);
    arrive();
    expect(shown).toHaveLength(0);
    expect(beeps).toHaveLength(0);
  });

  it('unmuting brings the alerts back', () => {
    const { shown, beeps } = stubAlerts();
    const { mutes, arrive } = handler();
    mutes.set('peer', true);
    mutes.set('peer', false);
    arrive();
    expect(shown).toHaveLength(1);
    expect(beeps).toHaveLength(1);
  });
});
