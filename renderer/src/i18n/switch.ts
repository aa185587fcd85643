import type { AppI18n, AppLocale, AppMessages } from './index';

/** Fetches one locale's messages (a chunk of their own). */
export type LocaleLoader = () => Promise<AppMessages>;

/** Loaders of the locales not bundled with the first view (English is). */
export const LOCALE_LOADERS: Partial<Record<AppLocale, LocaleLoader>> = {
  'zh-CN': () => import('./zh-CN').then((m) => m.default),
};

/** What a switch changes: the i18n instance's messages and its locale in force. */
export interface LocaleTarget {
  has(locale: AppLocale): boolean;
  add(locale: AppLocale, messages: AppMessages): void;
  apply(locale: AppLocale): void;
}

/** The app's i18n instance as a {@link LocaleTarget}. */
export function i18nTarget(i18n: AppI18n): LocaleTarget {
  const composer = i18n.global;
  return {
    has: (locale) => composer.availableLocales.includes(locale),
    add: (locale, messages) => composer.setLocaleMessage(locale, messages),
    apply: (locale) => {
      composer.locale.value = locale;
    },
  };
}

/**
 * Returns `switchTo(locale)`: loads the locale's messages when missing, then
 * puts it in force, so the UI never shows a key or a half-translated page.
 * Resolves true once applied; false when a later call overtook it (the last
 * call wins) or its messages could not be loaded (the current locale stays,
 * and the next call tries again).
 */
export function localeSwitcher(
  target: LocaleTarget,
  loaders: Partial<Record<AppLocale, LocaleLoader>> = LOCALE_LOADERS,
): (locale: AppLocale) => Promise<boolean> {
  const loading = new Map<AppLocale, Promise<void>>();
  let latest = 0;

  function ensure(locale: AppLocale): Promise<void> {
    if (target.has(locale)) return Promise.resolve();
    let pending = loading.get(locale);
    if (!pending) {
      const loader = loaders[locale];
      if (!loader) return Promise.reject(new Error(`no messages for ${locale}`));
      pending = loader().then((messages) => target.add(locale, messages));
      pending.catch(() => loading.delete(locale));
      loading.set(locale, pending);
    }
    return pending;
  }

  return async (locale) => {
    const call = ++latest;
    try {
      await ensure(locale);
    } catch (error) {
      console.warn(`[i18n] could not load ${locale}:`, error);
      return false;
    }
    if (call !== latest) return false;
    target.apply(locale);
    return true;
  };
}
