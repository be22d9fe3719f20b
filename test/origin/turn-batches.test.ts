import { describe, expect, it } from 'vitest';
import { TURN_GROUP_MAX, TurnBatches, TurnBuffer, type TurnGroup } from '../../origin/redis/turn-batches.ts';

/** What one turn's requests become (origin/redis/turn-batches.ts), with a stand-in for Redis. */
describe('requests of one turn grouped by key', () => {
  function batches() {
    const sent: Array<{ ctx: string; args: string[] }> = [];
    const b = new TurnBatches<string>(async (g: TurnGroup<string>) => {
      sent.push({ ctx: g.ctx, args: [...g.args] });
      return g.args.slice(1);
    });
    const ask = (key: string, arg: string) => {
      const g = b.group(key, key, ['head']);
      const at = g.size++;
      g.args.push(arg);
      return g.sent.then((answer) => (answer as string[])[at]);
    };
    return { sent, ask };
  }

  it('one command per key at the end of the turn; each member gets its own answer', async () => {
    const { sent, ask } = batches();
    const answers = Promise.all([ask('a', '1'), ask('b', '2'), ask('a', '3')]);
    expect(sent).toEqual([]);
    expect(await answers).toEqual(['1', '2', '3']);
    expect(sent).toEqual([
      { ctx: 'a', args: ['head', '1', '3'] },
      { ctx: 'b', args: ['head', '2'] },
    ]);
  });

  it('a full group goes at once and the next one is begun', async () => {
    const { sent, ask } = batches();
    const all = Array.from({ length: TURN_GROUP_MAX + 1 }, (_, i) => ask('a', String(i)));
    expect(sent.map((s) => s.args.length)).toEqual([TURN_GROUP_MAX + 1]);
    expect(await Promise.all(all)).toEqual(all.map((_, i) => String(i)));
    expect(sent.map((s) => s.args.length)).toEqual([TURN_GROUP_MAX + 1, 2]);
  });

  it('a member reads its own entry; a reply without one entry per member fails every member', async () => {
    const short = new TurnBatches<string>(async () => ['only one']);
    const g = short.group('a', 'a', []);
    const first = g.answerOf(g.join('x'), 'checks');
    const second = g.answerOf(g.join('y'), 'checks');
    await expect(first).rejects.toThrow('redis answered 2 checks with something else');
    await expect(second).rejects.toThrow('redis answered 2 checks with something else');
    const right = new TurnBatches<string>(async (h) => h.args.map((a) => a.toUpperCase()));
    const h = right.group('a', 'a', []);
    expect(await Promise.all([h.answerOf(h.join('x'), 'checks'), h.answerOf(h.join('y'), 'checks')])).toEqual(['X', 'Y']);
  });
});

describe('items of one turn buffered together', () => {
  it('sent at the end of the turn, at once when full, or early when flushed', async () => {
    const sent: number[][] = [];
    const b = new TurnBuffer<number>((items) => sent.push(items));
    b.push(1);
    b.push(2);
    expect(sent).toEqual([]);
    b.flush();
    b.flush();
    expect(sent).toEqual([[1, 2]]);
    b.push(3);
    await expect.poll(() => sent).toEqual([[1, 2], [3]]);
    for (let i = 0; i <= TURN_GROUP_MAX; i++) b.push(i);
    expect(sent.length).toBe(3);
    expect(sent[2]).toHaveLength(TURN_GROUP_MAX);
    await expect.poll(() => sent.length).toBe(4);
    expect(sent[3]).toEqual([TURN_GROUP_MAX]);
  });
});
