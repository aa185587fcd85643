/**
 * The emoji picker (`emoji-picker-element`), loaded only when someone opens
 * it: its code, its translation and its data (served with the app, never
 * fetched from a CDN) are separate chunks of the build.
 */

/** Picker data and strings for the UI locale: Chinese for zh-*, English otherwise. */
async function localeParts(locale: string) {
  if (locale.startsWith('zh')) {
    const [data, i18n] = await Promise.all([
      import('emoji-picker-element-data/zh/emojibase/data.json?url'),
      import('emoji-picker-element/i18n/zh_CN.js'),
    ]);
    return { locale: 'zh', dataSource: data.default, i18n: i18n.default };
  }
  const data = await import('emoji-picker-element-data/en/emojibase/data.json?url');
  return { locale: 'en', dataSource: data.default, i18n: undefined };
}

/** The theme chosen in Settings, if one was (else the picker follows the system, as the app does). */
function chosenTheme(): 'light' | 'dark' | undefined {
  const chosen = document.documentElement.dataset.theme;
  return chosen === 'dark' || chosen === 'light' ? chosen : undefined;
}

/** A new picker element for `locale`, in the app's theme. */
export async function loadEmojiPicker(locale: string): Promise<HTMLElement> {
  const [{ default: Picker }, parts] = await Promise.all([
    import('emoji-picker-element/picker.js'),
    localeParts(locale),
  ]);
  const picker = new Picker(
    parts.i18n ? parts : { locale: parts.locale, dataSource: parts.dataSource },
  );
  const theme = chosenTheme();
  if (theme) picker.classList.add(theme);
  return picker;
}
