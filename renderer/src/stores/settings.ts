import { defineStore } from 'pinia';
import { computed, ref, watch } from 'vue';
import { systemLocale, type AppLocale } from '../i18n';
import { readStored, writeStored } from '../lib/persist';

/** Language preference: follow the system or a fixed locale. */
export type LocalePreference = 'system' | AppLocale;
/** Theme preference: follow the system or a fixed theme. */
export type ThemePreference = 'system' | 'light' | 'dark';

const KEY = 'tickline.settings';

interface SavedSettings {
  locale?: LocalePreference;
  theme?: ThemePreference;
  preview?: boolean;
  sound?: boolean;
}

/** Appearance, language and notification settings, persisted in localStorage. */
export const useSettingsStore = defineStore('settings', () => {
  const saved = readStored<SavedSettings>(KEY) ?? {};
  const localePreference = ref<LocalePreference>(saved.locale ?? 'system');
  const themePreference = ref<ThemePreference>(saved.theme ?? 'system');
  /** Show the message text in notifications (off: "New message from NAME"). */
  const notificationPreview = ref(saved.preview ?? true);
  /** Play a short sound for a new message. */
  const notificationSound = ref(saved.sound ?? true);
  const system = ref<AppLocale>(systemLocale());

  /** The locale in force. */
  const locale = computed<AppLocale>(() =>
    localePreference.value === 'system' ? system.value : localePreference.value,
  );

  watch(
    [localePreference, themePreference, notificationPreview, notificationSound],
    ([l, t, p, s]) => writeStored(KEY, { locale: l, theme: t, preview: p, sound: s }),
  );

  /** Picks up a change of the system language (the `languagechange` event). */
  function refreshSystemLocale(): void {
    system.value = systemLocale();
  }

  return {
    localePreference,
    themePreference,
    notificationPreview,
    notificationSound,
    locale,
    refreshSystemLocale,
  };
});
