import { watch } from 'vue';
import type { AppI18n } from '../i18n';
import type { useSettingsStore } from '../stores/settings';

/** Keeps the i18n locale, `<html lang>` and `<html data-theme>` in step with the settings. */
export function applyAppearance(settings: ReturnType<typeof useSettingsStore>, i18n: AppI18n) {
  watch(
    () => settings.locale,
    (locale) => {
      i18n.global.locale.value = locale;
      document.documentElement.lang = locale;
    },
    { immediate: true },
  );
  watch(
    () => settings.themePreference,
    (theme) => {
      if (theme === 'system') delete document.documentElement.dataset.theme;
      else document.documentElement.dataset.theme = theme;
    },
    { immediate: true },
  );
  window.addEventListener('languagechange', () => settings.refreshSystemLocale());
}
