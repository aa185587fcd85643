/** Share of the visible height that PageUp/PageDown move, keeping a line of context. */
const PAGE = 0.9;

/** The scroll position a key moves a scrollable history to, or null for other keys. */
export function pageKeyScroll(
  key: string,
  el: Pick<HTMLElement, 'scrollTop' | 'scrollHeight' | 'clientHeight'>,
): number | null {
  const max = Math.max(0, el.scrollHeight - el.clientHeight);
  const page = Math.round(el.clientHeight * PAGE);
  switch (key) {
    case 'PageUp':
      return Math.max(0, el.scrollTop - page);
    case 'PageDown':
      return Math.min(max, el.scrollTop + page);
    case 'Home':
      return 0;
    case 'End':
      return max;
    default:
      return null;
  }
}
