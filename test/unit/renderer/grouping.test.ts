// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import MessageBubble from '../../../renderer/src/components/MessageBubble.vue';
import { buildRows, GROUP_GAP_MS } from '../../../renderer/src/lib/rows';
import { message, plugins } from './helpers';

const T = new Date(2026, 10, 28, 10, 0).getTime();
const MIN = 60_000;

describe('consecutive messages of one sender are grouped', () => {
  it('within a few minutes: only the first of the run starts a group', () => {
    const rows = buildRows([
      message({ direction: 'in', ts: T }),
      message({ direction: 'in', ts: T + 1 * MIN }),
      message({ direction: 'in', ts: T + 3 * MIN }),
      message({ direction: 'out', ts: T + 4 * MIN }), // another sender
      message({ direction: 'out', ts: T + 4 * MIN + 30_000 }),
      message({ direction: 'out', ts: T + 4 * MIN + 30_000 + GROUP_GAP_MS }), // a pause
      message({ direction: 'in', ts: T + 20 * MIN }),
      message({ direction: 'in', ts: T + 21 * MIN, kind: 'system' }), // group news
      message({ direction: 'in', ts: T + 22 * MIN }),
    ]);
    expect(rows.map((r) => r.continued)).toEqual([
      false,
      true,
      true,
      false,
      true,
      false,
      false,
      false,
      false,
    ]);
  });

  it('never across midnight (the day separator starts a new group)', () => {
    const late = new Date(2026, 10, 27, 23, 59).getTime();
    const rows = buildRows([
      message({ direction: 'in', ts: late }),
      message({ direction: 'in', ts: late + 2 * MIN }),
    ]);
    expect(rows.map((r) => [r.day !== null, r.continued])).toEqual([
      [true, false],
      [true, false],
    ]);
  });

  it('in a group chat, senders are told apart', () => {
    const rows = buildRows([
      message({ direction: 'in', from: 'ann', ts: T }),
      message({ direction: 'in', from: 'bob', ts: T + MIN }),
      message({ direction: 'in', from: 'bob', ts: T + 2 * MIN }),
    ]);
    expect(rows.map((r) => r.continued)).toEqual([false, false, true]);
  });

  it('a continued message shows no time of its own (screen readers still get it), but keeps its tick', () => {
    const first = mount(MessageBubble, {
      ...plugins(),
      props: { message: message({ status: 'delivered', ts: T }) },
    });
    const next = mount(MessageBubble, {
      ...plugins(),
      props: { message: message({ status: 'delivered', ts: T + MIN }), continued: true },
    });
    expect(first.get('time').classes()).not.toContain('visually-hidden');
    expect(next.get('time').classes()).toContain('visually-hidden');
    expect(next.get('[role="img"]').attributes('aria-label')).toBe('Delivered');
  });
});
