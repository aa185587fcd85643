import { onBeforeUnmount, onMounted, ref, type Ref } from 'vue';

/** How far from the bottom (px) the reader still counts as "at the bottom". */
export const PIN_THRESHOLD = 48;

/** Distance (px) between the scroll position and the bottom of `el`. */
export function distanceFromBottom(el: HTMLElement): number {
  return el.scrollHeight - el.scrollTop - el.clientHeight;
}

/**
 * Keeps a scroll container at its bottom while the reader is there, whatever
 * changes size: the container itself (a notice appears above it) or its content
 * (a new message, long text, an image). Call `onScroll` from the scroll event.
 */
export function usePinnedToBottom(scroller: Ref<HTMLElement | null>): {
  pinned: Ref<boolean>;
  onScroll: () => void;
} {
  const pinned = ref(true);
  let observer: ResizeObserver | null = null;

  function onScroll(): void {
    const el = scroller.value;
    if (el) pinned.value = distanceFromBottom(el) <= PIN_THRESHOLD;
  }

  function follow(): void {
    const el = scroller.value;
    if (el && pinned.value && distanceFromBottom(el) > 0) {
      el.scrollTop = el.scrollHeight - el.clientHeight;
    }
  }

  onMounted(() => {
    const el = scroller.value;
    if (!el || typeof ResizeObserver === 'undefined') return;
    observer = new ResizeObserver(follow);
    observer.observe(el);
    for (const child of Array.from(el.children)) observer.observe(child);
  });
  onBeforeUnmount(() => observer?.disconnect());

  return { pinned, onScroll };
}
