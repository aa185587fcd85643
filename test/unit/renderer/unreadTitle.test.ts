// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { effectScope, nextTick, ref } from 'vue';
import { titleFor, useUnreadTitle } from '../../../renderer/src/lib/unreadTitle';

describe('the tab title shows the unread total', () => {
  it('formats the count', () => {
    expect(titleFor(0)).toBe('Tickline');
    expect(titleFor(3)).toBe('(3) Tickline');
    expect(titleFor(1500)).toBe('(999+) Tickline');
  });

  it('follows the count as it changes', async () => {
    const unread = ref(3);
    const scope = effectScope();
    scope.run(() => useUnreadTitle(() => unread.value));
    expect(document.title).toBe('(3) Tickline');
    unread.value = 0;
    await nextTick();
    expect(document.title).toBe('Tickline');
    unread.value = 12;
    await nextTick();
    expect(document.title).toBe('(12) Tickline');
    scope.stop();
  });
});
