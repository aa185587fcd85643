// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import type { OutStatus } from '../../../client/status';
import StatusTick from '../../../renderer/src/components/StatusTick.vue';
import { plugins } from './helpers';

const STATUSES: OutStatus[] = ['pending', 'sent', 'stored', 'delivered', 'read', 'failed'];

/** Attributes that draw geometry; colours, classes and stroke widths are left out. */
const GEOMETRY = ['d', 'cx', 'cy', 'r', 'x', 'y', 'width', 'height', 'rx', 'points'];

/** The drawn shapes of a status's icon, without anything that is only colour or weight. */
function shape(status: OutStatus): string {
  const svg = mount(StatusTick, { ...plugins(), props: { status } }).get('svg').element;
  return Array.from(svg.querySelectorAll('*'))
    .map((el) => {
      const geometry = GEOMETRY.flatMap((a) => {
        const v = el.getAttribute(a);
        return v === null ? [] : [`${a}=${v}`];
      });
      const filled = el.getAttribute('fill') !== 'none' ? 'filled' : 'outline';
      return `${el.tagName.toLowerCase()}(${filled} ${geometry.join(' ')})`;
    })
    .join(' ');
}

describe('ticks differ by shape, not only by colour', () => {
  it('every status, read included, has its own shape', () => {
    const shapes = STATUSES.map(shape);
    expect(new Set(shapes).size).toBe(STATUSES.length);
  });

  it('"Waiting for recipient" adds a hollow clock to the single check of "Sent"', () => {
    const sent = mount(StatusTick, { ...plugins(), props: { status: 'sent' } });
    const stored = mount(StatusTick, { ...plugins(), props: { status: 'stored' } });
    expect(sent.findAll('circle')).toHaveLength(0);
    const clock = stored.findAll('circle');
    expect(clock).toHaveLength(1);
    expect(clock[0]!.attributes('fill')).toBe('none');
    // A clock big enough to see at normal size (radius ≥ 4 of 16 units).
    expect(Number(clock[0]!.attributes('r'))).toBeGreaterThanOrEqual(4);
  });

  it('"Delivered" is two checks in the meta colour, "Read" two checks on a filled badge', () => {
    const delivered = mount(StatusTick, { ...plugins(), props: { status: 'delivered' } });
    const read = mount(StatusTick, { ...plugins(), props: { status: 'read' } });
    // Two check strokes each (two "l…-…" runs after a move).
    const checks = (d: string | undefined) => (d ?? '').split('M').filter(Boolean).length;
    expect(checks(delivered.get('path').attributes('d'))).toBe(2);
    expect(checks(read.get('path').attributes('d'))).toBe(2);
    // Delivered: nothing filled, drawn in the inherited meta colour (never blue).
    expect(delivered.findAll('[fill]:not([fill="none"])')).toHaveLength(0);
    expect(delivered.get('.tick').classes()).toEqual(['tick', 'tick-delivered']);
    // Read: a filled badge behind the checks.
    expect(read.findAll('rect[fill="currentColor"]')).toHaveLength(1);
  });

  it.each([
    ['pending', 'Sending'],
    ['sent', 'Sent'],
    ['stored', 'Waiting for recipient'],
    ['delivered', 'Delivered'],
    ['read', 'Read'],
    ['failed', 'Not delivered'],
  ] as const)('%s keeps its accessible name %j, a tooltip and data-tick', (status, name) => {
    const tick = mount(StatusTick, { ...plugins(), props: { status } }).get('[role="img"]');
    expect(tick.attributes('aria-label')).toBe(name);
    expect(tick.attributes('title')).toBeTruthy();
    expect(tick.attributes('data-tick')).toBe(status);
  });
});
