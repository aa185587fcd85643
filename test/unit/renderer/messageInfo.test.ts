// @vitest-environment happy-dom
/**
 * Message info never says "Not read yet" when it cannot know: a recipient
 * whose read is not shown (read receipts off) is marked so, and when the
 * person's own receipts are off the dialog says why no read is shown.
 */
import { flushPromises, mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { InfoA } from '../../../protocol';
import MessageInfoDialog from '../../../renderer/src/components/MessageInfoDialog.vue';
import { useChatStore } from '../../../renderer/src/stores/chat';
import { PEER_CONV, plugins } from './helpers';

/** The dialog over an engine whose `info:R` answers `info`. */
async function dialog(info: Omit<InfoA, 'ok'>) {
  const setup = plugins();
  const chat = useChatStore();
  chat.client = (() => ({ messageInfo: async () => info })) as never;
  const wrapper = mount(MessageInfoDialog, {
    ...setup,
    props: { conv: PEER_CONV, id: 'm1' },
    attachTo: document.body,
  });
  await flushPromises();
  return wrapper;
}

const states = (w: Awaited<ReturnType<typeof dialog>>) =>
  w.findAll('[data-testid="read-state"]').map((s) => s.text());

describe('message info and read receipts', () => {
  it('says "Read receipts off" for a recipient whose read is not shown, "Not read yet" only when true', async () => {
    const w = await dialog({
      recipients: [
        { userId: 'bob', deliveredAt: 1_700_000_000_000, receiptsOff: true },
        { userId: 'carol', deliveredAt: 1_700_000_000_000 },
        { userId: 'dana', deliveredAt: 1_700_000_000_000, readAt: 1_700_000_100_000 },
      ],
    });
    const [bob, carol, dana] = states(w);
    expect(bob).toBe('Read receipts off');
    expect(carol).toBe('Not read yet');
    expect(dana).toMatch(/^Read /);
    expect(w.find('[data-testid="reads-hidden"]').exists()).toBe(false);
    w.unmount();
  });

  it('with the person’s own receipts off, says why and claims nothing about reads', async () => {
    const w = await dialog({
      recipients: [{ userId: 'bob', deliveredAt: 1_700_000_000_000 }],
      readsHidden: true,
    });
    expect(w.get('[data-testid="reads-hidden"]').text()).toContain('read receipts are off');
    expect(states(w)).toEqual([]);
    expect(w.text()).not.toContain('Not read yet');
    w.unmount();
  });
});
