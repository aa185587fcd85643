import { createI18n } from 'vue-i18n';
import en from './en-US';
import type { Shape } from './shape';

/** Locales the app ships. */
export const LOCALES = ['en-US', 'zh-CN'] as const;
/** One of {@link LOCALES}. */
export type AppLocale = (typeof LOCALES)[number];
/** The messages of one locale: the English keys, every leaf a string. */
export type AppMessages = Shape<typeof en>;

/** The shipped locale closest to the system's preferred languages. */
export function systemLocale(languages: readonly string[] = navigator.languages ?? []): AppLocale {
  for (const lang of languages) {
    const lower = lang.toLowerCase();
    if (lower.startsWith('zh')) return 'zh-CN';
    if (lower.startsWith('en')) return 'en-US';
  }
  return 'en-US';
}

/**
 * Creates the app's vue-i18n instance (Composition API mode) in English, the
 * only locale bundled with the first view; the others are loaded on demand
 * (`./switch.ts`) before they are put in force.
 */
export function createAppI18n() {
  const messages: { [L in AppLocale]?: AppMessages } = { 'en-US': en };
  return createI18n({ legacy: false, locale: 'en-US', fallbackLocale: 'en-US', messages });
}

/** The i18n instance type. */
export type AppI18n = ReturnType<typeof createAppI18n>;
