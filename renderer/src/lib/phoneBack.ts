import { onBeforeUnmount, onMounted, watch } from 'vue';

/** Where the list and the conversation are shown one at a time (MainView's breakpoint). */
export const PHONE_WIDTH = '(max-width: 720px)';

/** The history entry's state that marks an open conversation at phone width. */
const STATE = { tickline: 'conversation' } as const;

/**
 * At phone width the browser's Back returns from a conversation to the list:
 * opening one pushes a history entry, Back (popstate) closes it, and closing
 * it another way (the Back button in the header) takes the entry off again.
 */
export function usePhoneBack(isOpen: () => boolean, close: () => void): void {
  let pushed = false;

  function onPopState(): void {
    if (!pushed) return;
    pushed = false;
    if (isOpen()) close();
  }

  watch(isOpen, (open) => {
    if (open && !pushed && window.matchMedia(PHONE_WIDTH).matches) {
      history.pushState(STATE, '');
      pushed = true;
    } else if (!open && pushed) {
      pushed = false;
      history.back();
    }
  });

  onMounted(() => window.addEventListener('popstate', onPopState));
  onBeforeUnmount(() => window.removeEventListener('popstate', onPopState));
}
