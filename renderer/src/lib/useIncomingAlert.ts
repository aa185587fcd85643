import { useI18n } from 'vue-i18n';
import type { StoredMessage } from '../../../client/storage';
import type { User } from '../../../protocol';
import { entryOf, useChatStore } from '../stores/chat';
import { useMutesStore } from '../stores/mutes';
import { useSettingsStore } from '../stores/settings';
import { alertIncoming } from './incomingAlert';

/**
 * The handler for an incoming message (call in a component's setup): alerts
 * as the settings (preview, sound) and the conversation's mute say.
 */
export function useIncomingAlert(): (m: StoredMessage, sender: User | undefined) => void {
  const chat = useChatStore();
  const mutes = useMutesStore();
  const settings = useSettingsStore();
  const { t } = useI18n();
  return (m, sender) => {
    // The shown name: with the username where two people share a display name.
    const title = sender ? chat.nameOf(sender.userId) : t('notification.fallback');
    const entry = entryOf(m);
    alertIncoming(
      {
        title,
        body: m.body.slice(0, 200),
        tag: m.key,
        onClick: () => void chat.openConversation(entry),
      },
      {
        muted: mutes.isMuted(entry),
        preview: settings.notificationPreview,
        sound: settings.notificationSound,
        hiddenBody: t('notification.hidden', { name: title }),
      },
    );
  };
}
