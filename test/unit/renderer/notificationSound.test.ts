// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import SettingsPanel from '../../../renderer/src/components/SettingsPanel.vue';
import { mountIncomingAlert, stubAlerts } from './alertStubs';
import { message } from './helpers';

beforeEach(() => localStorage.clear());
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  document.body.innerHTML = '';
});

/** The app's incoming-message handler with fresh stores. */
function handler() {
  const { setup, onIncoming } = mountIncomingAlert();
  const arrive = () => onIncoming(message({ direction: 'in' }), undefined);
  return { setup, arrive };
}

describe('notification sound', () => {
  it('notifications not permitted, window hidden: a beep alone', () => {
    const { shown, beeps } = stubAlerts('denied', 'hidden');
    handler().arrive();
    expect(shown).toHaveLength(0);
    expect(beeps).toHaveLength(1);
  });

  it('notifications not permitted, window visible: no beep', () => {
    const { beeps } = stubAlerts('default', 'visible');
    handler().arrive();
    expect(beeps).toHaveLength(0);
  });

  it('window focused: neither a notification nor a beep', () => {
    const { shown, beeps } = stubAlerts();
    vi.spyOn(document, 'hasFocus').mockReturnValue(true);
    handler().arrive();
    expect(shown).toHaveLength(0);
    expect(beeps).toHaveLength(0);
  });

  it('"Play a sound" off in Settings: the notification shows, silently', async () => {
    const { shown, beeps } = stubAlerts();
    const { setup, arrive } = handler();
    const panel = mount(SettingsPanel, { ...setup, attachTo: document.body });
    const box = panel.get('input[name="notification-sound"]');
    expect((box.element as HTMLInputElement).checked).toBe(true);
    await box.setValue(false);
    arrive();
    expect(shown).toHaveLength(1);
    expect(shown[0]!.silent).toBe(true);
    expect(beeps).toHaveLength(0);
  });
});
