// @vitest-environment happy-dom
import { describe, expect, it } from 'vitest';
import { foldForSearch } from '../../../renderer/src/lib/search';
import { useChatStore } from '../../../renderer/src/stores/chat';
import { plugins } from './helpers';

/** The chat store with a few people, filtered by `query`: the names shown. */
function filtered(query: string): string[] {
  plugins();
  const chat = useChatStore();
  chat.me = { userId: 'me', username: 'me', displayName: 'Me', token: 't' };
  chat.users = [
    { userId: 'u1', username: 'unal', displayName: 'Ünal Yılmaz', online: true },
    { userId: 'u2', username: 'jose', displayName: 'José Álvarez', online: true },
    { userId: 'u3', username: 'zoe', displayName: 'Zoë Smith', online: true },
    { userId: 'u4', username: 'bob', displayName: 'Bob', online: true },
  ];
  chat.filter = query;
  return chat.visibleContacts.map((c) => c.name).sort();
}

describe('the contact filter ignores case and accents', () => {
  it.each([
    ['unal', ['Ünal Yılmaz']],
    ['ÜNAL', ['Ünal Yılmaz']],
    ['alvarez', ['José Álvarez']],
    ['zoe s', ['Zoë Smith']],
    ['ZOË', ['Zoë Smith']],
    ['  bob ', ['Bob']],
  ])('%j finds %j', (query, names) => {
    expect(filtered(query)).toEqual(names);
  });

  it('still matches usernames, and an empty filter shows everyone', () => {
    expect(filtered('jose')).toEqual(['José Álvarez']);
    expect(filtered('')).toHaveLength(4);
    expect(filtered('nobody')).toEqual([]);
  });

  it('folds composed and decomposed forms alike', () => {
    expect(foldForSearch('U\u0308nal')).toBe(foldForSearch('\u00dcnal'));
    expect(foldForSearch('Ünal')).toBe('unal');
  });
});
