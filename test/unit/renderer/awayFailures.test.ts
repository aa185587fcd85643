// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import AwayFailures from '../../../renderer/src/components/AwayFailures.vue';
import { useChatStore } from '../../../renderer/src/stores/chat';
import { failedTo, inLocale, plugins } from './helpers';

/** Signed in with contacts Peer and Carol; `away` failed while the connection was down. */
function signedIn(away: ReturnType<typeof failedTo>[], seen: ReturnType<typeof failedTo>[] = []) {
  const setup = plugins();
  const chat = useChatStore();
  chat.me = { userId: 'me', username: 'me', displayName: 'Me', token: 't' };
  chat.users = [
    { userId: 'peer', username: 'peer', displayName: 'Peer', online: true },
    { userId: 'carol', username: 'carol', displayName: 'Carol', online: true },
  ];
  chat.failed = new Map([...away, ...seen].map((m) => [m.key, m]));
  chat.failedWhileAway = new Set(away.map((m) => m.key));
  chat.connection = 'connecting';
  return { setup, chat };
}

describe('back online: what failed while away', () => {
  it('says nothing while still away; once connected, names each conversation, most first', () => {
    const { chat } = signedIn(
      [failedTo('c1', 'carol'), failedTo('p1', 'peer'), failedTo('c2', 'carol')],
      [failedTo('p0', 'peer')], // failed while connected: its own notice says so
    );
    expect(chat.awayFailures).toEqual([]);
    chat.connection = 'connected';
    expect(chat.awayFailures).toEqual([
      { id: 'carol', name: 'Carol', count: 2 },
      { id: 'peer', name: 'Peer', count: 1 },
    ]);
  });

  it('forgets a message once it is no longer failed (resent), and a conversation once opened', async () => {
    const c1 = failedTo('c1', 'carol');
    const { chat } = signedIn([c1, failedTo('p1', 'peer')]);
    chat.connection = 'connected';
    const failed = new Map(chat.failed);
    failed.delete(c1.key);
    chat.failed = failed;
    expect(chat.awayFailures.map((e) => e.id)).toEqual(['peer']);
    await chat.openConversation('peer');
    expect(chat.awayFailures).toEqual([]);
  });

  it('the prompt: a status line with the total, one button per conversation, and Dismiss', async () => {
    const items = [
      { id: 'carol', name: 'Carol', count: 2 },
      { id: 'peer', name: 'Peer', count: 1 },
    ];
    const wrapper = mount(AwayFailures, { ...plugins(), props: { items } });
    const prompt = wrapper.get('[data-testid="away-failures"]');
    expect(prompt.attributes('role')).toBe('status');
    expect(prompt.text()).toContain('While you were offline, 3 messages could not be delivered');
    const buttons = prompt.findAll('button');
    expect(buttons.map((b) => b.text())).toEqual(['Open Carol (2)', 'Open Peer (1)', '']);
    await buttons[1]!.trigger('click');
    expect(wrapper.emitted('open')).toEqual([['peer']]);
    const dismiss = prompt.get('button[aria-label="Dismiss"]');
    await dismiss.trigger('click');
    expect(wrapper.emitted('dismiss')).toHaveLength(1);
  });

  it('Dismiss in the store forgets everything; nothing is shown without items', () => {
    const { chat } = signedIn([failedTo('c1', 'carol')]);
    chat.connection = 'connected';
    chat.dismissAwayFailures();
    expect(chat.awayFailures).toEqual([]);
    const wrapper = mount(AwayFailures, { ...plugins(), props: { items: [] } });
    expect(wrapper.find('[data-testid="away-failures"]').exists()).toBe(false);
  });

  it('speaks Simplified Chinese too', async () => {
    const setup = plugins();
    await inLocale(setup, 'zh-CN');
    const items = [{ id: 'carol', name: 'Carol', count: 1 }];
    const wrapper = mount(AwayFailures, { ...setup, props: { items } });
    expect(wrapper.text()).toContain('离线期间有 1 条消息未能送达');
    expect(wrapper.text()).toContain('打开 Carol（1）');
  });
});
