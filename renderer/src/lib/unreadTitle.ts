import { watch } from 'vue';

/** The app's name: the window or tab title when nothing is unread. */
export const APP_TITLE = 'Tickline';

/** The title for `unread` unread messages: `(3) Tickline`, or just `Tickline`. */
export function titleFor(unread: number): string {
  return unread > 0 ? `(${unread > 999 ? '999+' : unread}) ${APP_TITLE}` : APP_TITLE;
}

/** Keeps `document.title` showing the unread total. */
export function useUnreadTitle(unread: () => number): void {
  watch(unread, (n) => (document.title = titleFor(n)), { immediate: true });
}
