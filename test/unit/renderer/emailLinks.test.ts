// @vitest-environment happy-dom
import { mount } from '@vue/test-utils';
import { describe, expect, it } from 'vitest';
import LinkifiedText from '../../../renderer/src/components/LinkifiedText.vue';
import { isSafeUrl, splitLinks } from '../../../renderer/src/lib/links';

describe('e-mail addresses become mailto links', () => {
  it('in the middle of text, leaving trailing punctuation out', () => {
    expect(splitLinks('Write to anna.berg+lan@example.co.uk. Thanks')).toEqual([
      { kind: 'text', text: 'Write to ' },
      {
        kind: 'link',
        text: 'anna.berg+lan@example.co.uk',
        href: 'mailto:anna.berg+lan@example.co.uk',
      },
      { kind: 'text', text: '. Thanks' },
    ]);
  });

  it('next to web links, which stay web links', () => {
    const parts = splitLinks('https://bob@intra.example/x or bob@intra.example');
    expect(parts.filter((p) => p.kind === 'link').map((p) => p.kind === 'link' && p.href)).toEqual([
      'https://bob@intra.example/x',
      'mailto:bob@intra.example',
    ]);
  });

  it('not for things that only look a little like addresses', () => {
    for (const text of ['@team meeting', 'a@b', 'me@localhost', 'x@y.z']) {
      expect(
        splitLinks(text).some((p) => p.kind === 'link'),
        text,
      ).toBe(false);
    }
  });

  it('only well-formed mailto: hrefs are safe', () => {
    expect(isSafeUrl('mailto:anna@example.com')).toBe(true);
    expect(isSafeUrl('mailto:javascript:alert(1)')).toBe(false);
    expect(isSafeUrl('javascript:alert(1)')).toBe(false);
  });

  it('renders as a link', () => {
    const wrapper = mount(LinkifiedText, { props: { text: 'ask it@example.com' } });
    expect(wrapper.get('a').attributes('href')).toBe('mailto:it@example.com');
    expect(wrapper.get('a').text()).toBe('it@example.com');
  });
});
