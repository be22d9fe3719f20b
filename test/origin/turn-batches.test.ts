import { describe, expect, it } from 'vitest';
import { TURN_GROUP_MAX, TurnBatches, type TurnGroup } from '../../origin/redis/turn-batches.ts';

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
});
