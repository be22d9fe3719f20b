import { describe, expect, it } from 'vitest';
import { MemoByKey } from '../../shared/memo-by-key.ts';

describe('MemoByKey', () => {
  it('makes a key\'s value once, and forgets every value at once past its bound', () => {
    const made: string[] = [];
    const memo = new MemoByKey((k) => (made.push(k), { k }), 2);
    const a = memo.get('a');
    expect(memo.get('a')).toBe(a);
    memo.get('b');
    memo.get('c');
    expect(made).toEqual(['a', 'b', 'c']);
    // Three kept is past the bound of two: the next new key starts afresh.
    memo.get('d');
    expect(memo.get('a')).not.toBe(a);
    expect(made).toEqual(['a', 'b', 'c', 'd', 'a']);
  });
});
