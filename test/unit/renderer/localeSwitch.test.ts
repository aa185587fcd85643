// @vitest-environment happy-dom
/**
 * The second locale is a chunk of its own (only English ships with the first
 * view): switching loads it first and only then puts it in force, so the UI
 * never shows message keys or half a translation.
 */
import { createPinia, setActivePinia } from 'pinia';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { nextTick } from 'vue';
import { createAppI18n, type AppMessages } from '../../../renderer/src/i18n';
import zh from '../../../renderer/src/i18n/zh-CN';
import {
  i18nTarget,
  LOCALE_LOADERS,
  localeSwitcher,
  type LocaleLoader,
} from '../../../renderer/src/i18n/switch';
import { applyAppearance } from '../../../renderer/src/lib/appearance';
import { useSettingsStore } from '../../../renderer/src/stores/settings';

/** A loader whose answer the test releases (or fails) when it wants. */
function deferredLoader() {
  let release: (messages: AppMessages) => void = () => undefined;
  let fail: (error: Error) => void = () => undefined;
  const loader = vi.fn<LocaleLoader>(
    () =>
      new Promise<AppMessages>((resolve, reject) => {
        release = resolve;
        fail = reject;
      }),
  );
  return { loader, release: (m: AppMessages) => release(m), fail: (e: Error) => fail(e) };
}

/** An i18n instance with its switcher, using `loader` for zh-CN. */
function setup(loader: LocaleLoader) {
  const i18n = createAppI18n();
  const switchTo = localeSwitcher(i18nTarget(i18n), { 'zh-CN': loader });
  const shown = () => i18n.global.t('auth.signIn');
  return { i18n, switchTo, shown };
}

beforeEach(() => localStorage.clear());
afterEach(() => vi.restoreAllMocks());

describe('locale switching', () => {
  it('starts in English with only the English messages loaded', () => {
    const i18n = createAppI18n();
    expect(i18n.global.locale.value).toBe('en-US');
    expect(i18n.global.availableLocales).toEqual(['en-US']);
  });

  it('English needs no loading', async () => {
    const { loader } = deferredLoader();
    const { switchTo, shown } = setup(loader);
    expect(await switchTo('en-US')).toBe(true);
    expect(loader).not.toHaveBeenCalled();
    expect(shown()).toBe('Sign in');
  });

  it('keeps the current locale in force until the new one has loaded, then switches', async () => {
    const { loader, release } = deferredLoader();
    const { i18n, switchTo, shown } = setup(loader);
    const switched = switchTo('zh-CN');
    await Promise.resolve();
    expect(loader).toHaveBeenCalledTimes(1);
    expect(i18n.global.locale.value).toBe('en-US');
    expect(shown()).toBe('Sign in');
    release(zh);
    expect(await switched).toBe(true);
    expect(i18n.global.locale.value).toBe('zh-CN');
    expect(shown()).toBe(zh.auth.signIn);
  });

  it('loads a locale once: switching back and forth uses the messages already there', async () => {
    const { loader, release } = deferredLoader();
    const { switchTo, shown } = setup(loader);
    const first = switchTo('zh-CN');
    const second = switchTo('zh-CN');
    release(zh);
    expect(await first).toBe(false);
    expect(await second).toBe(true);
    expect(await switchTo('en-US')).toBe(true);
    expect(await switchTo('zh-CN')).toBe(true);
    expect(loader).toHaveBeenCalledTimes(1);
    expect(shown()).toBe(zh.auth.signIn);
  });

  it('the last choice wins: a locale that finishes loading after another was chosen is not applied', async () => {
    const { loader, release } = deferredLoader();
    const { i18n, switchTo } = setup(loader);
    const toChinese = switchTo('zh-CN');
    expect(await switchTo('en-US')).toBe(true);
    release(zh);
    expect(await toChinese).toBe(false);
    expect(i18n.global.locale.value).toBe('en-US');
  });

  it('a locale that cannot be loaded leaves the current one, and the next switch tries again', async () => {
    const { loader, fail, release } = deferredLoader();
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    const { i18n, switchTo } = setup(loader);
    const failing = switchTo('zh-CN');
    fail(new Error('offline'));
    expect(await failing).toBe(false);
    expect(warn).toHaveBeenCalled();
    expect(i18n.global.locale.value).toBe('en-US');
    const retry = switchTo('zh-CN');
    release(zh);
    expect(await retry).toBe(true);
    expect(loader).toHaveBeenCalledTimes(2);
    expect(i18n.global.locale.value).toBe('zh-CN');
  });

  it('the app loads zh-CN from its own module, and has no loader for English', async () => {
    expect(LOCALE_LOADERS['en-US']).toBeUndefined();
    expect(await LOCALE_LOADERS['zh-CN']!()).toEqual(zh);
  });
});

describe('appearance: the settings drive the locale', () => {
  it('mounting waits for the saved locale; <html lang> changes with the messages, not before', async () => {
    localStorage.setItem('tickline.settings', JSON.stringify({ locale: 'zh-CN' }));
    setActivePinia(createPinia());
    const settings = useSettingsStore();
    const { loader, release } = deferredLoader();
    const { i18n, switchTo } = setup(loader);
    document.documentElement.lang = 'en';
    let ready = false;
    const first = applyAppearance(settings, switchTo).then(() => (ready = true));
    await Promise.resolve();
    expect(ready).toBe(false);
    expect(document.documentElement.lang).toBe('en');
    release(zh);
    await first;
    expect(i18n.global.locale.value).toBe('zh-CN');
    expect(document.documentElement.lang).toBe('zh-CN');

    settings.localePreference = 'en-US';
    await nextTick();
    await vi.waitFor(() => expect(document.documentElement.lang).toBe('en-US'));
    expect(i18n.global.locale.value).toBe('en-US');
  });
});
