import { watch } from 'vue';
import type { AppLocale } from '../i18n';
import type { useSettingsStore } from '../stores/settings';

/**
 * Keeps the i18n locale, `<html lang>` and `<html data-theme>` in step with
 * the settings. `switchLocale` loads a locale before putting it in force
 * (`i18n/switch.ts`); the returned promise settles once the locale in force at
 * start is applied (or could not be loaded), so the app can mount translated.
 */
export function applyAppearance(
  settings: ReturnType<typeof useSettingsStore>,
  switchLocale: (locale: AppLocale) => Promise<boolean>,
): Promise<void> {
  let first: Promise<void> | undefined;
  watch(
    () => settings.locale,
    (locale) => {
      const applied = switchLocale(locale).then((ok) => {
        if (ok) document.documentElement.lang = locale;
      });
      first ??= applied;
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
  return first ?? Promise.resolve();
}
