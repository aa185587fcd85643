import { createI18n } from 'vue-i18n';
import en from './en-US';
import zh from './zh-CN';

/** Locales the app ships. */
export const LOCALES = ['en-US', 'zh-CN'] as const;
/** One of {@link LOCALES}. */
export type AppLocale = (typeof LOCALES)[number];

/** The shipped locale closest to the system's preferred languages. */
export function systemLocale(languages: readonly string[] = navigator.languages ?? []): AppLocale {
  for (const lang of languages) {
    const lower = lang.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en-US';
  }
  return 'en-US';
}

/** Creates the app's vue-i18n instance (Composition API mode). */
export function createAppI18n(locale: AppLocale) {
  return createI18n({
    legacy: false,
    locale,
    fallbackLocale: 'en-US',
    messages: { 'en-US': en, 'zh-CN': zh },
  });
}

/** The i18n instance type. */
export type AppI18n = ReturnType<typeof createAppI18n>;
