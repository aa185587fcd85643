// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import SettingsPanel from '../../../renderer/src/components/SettingsPanel.vue';
import { useChatStore } from '../../../renderer/src/stores/chat';
import { useSettingsStore } from '../../../renderer/src/stores/settings';
import { mountIncomingAlert, stubAlerts } from './alertStubs';
import { message } from './helpers';

const SECRET = 'Carol, confidential: the merger is off';

beforeEach(() => localStorage.clear());
afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  document.body.innerHTML = '';
});

/** The app's incoming-message handler, mounted with fresh stores; peer is "Peer". */
function handler() {
  const { setup, onIncoming } = mountIncomingAlert();
  const chat = useChatStore();
  const peer = { userId: 'peer', username: 'peer', displayName: 'Peer', online: true };
  chat.users = [peer];
  const arrive = () => onIncoming(message({ direction: 'in', body: SECRET }), peer);
  return { setup, arrive };
}

describe('notification preview setting', () => {
  it('on (the default): the notification shows the message text', () => {
    const { shown } = stubAlerts();
    handler().arrive();
    expect(shown).toHaveLength(1);
    expect(shown[0]!.title).toBe('Peer');
    expect(shown[0]!.body).toBe(SECRET);
  });

  it('off: only "New message from NAME", never the text', () => {
    const { shown } = stubAlerts();
    const { arrive } = handler();
    useSettingsStore().notificationPreview = false;
    arrive();
    expect(shown).toHaveLength(1);
    expect(shown[0]!.body).toBe('New message from Peer');
    expect(JSON.stringify(shown)).not.toContain('merger');
  });

  it('the Settings switch turns it off and the choice is saved', async () => {
    const { shown } = stubAlerts();
    const { setup, arrive } = handler();
    const panel = mount(SettingsPanel, { ...setup, attachTo: document.body });
    const box = panel.get('input[name="notification-preview"]');
    expect((box.element as HTMLInputElement).checked).toBe(true);
    await box.setValue(false);
    arrive();
    expect(shown[0]!.body).toBe('New message from Peer');
    expect(JSON.parse(localStorage.getItem('tickline.settings')!)).toMatchObject({
      preview: false,
    });
  });
});
