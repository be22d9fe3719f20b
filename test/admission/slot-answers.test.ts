import { describe, expect, it } from 'vitest';
import { acquireAnswer, acquireAnswers, MisdirectedAnswer, sweepAnswer } from '../../origin/admission/slot-answers.ts';

/**
 * A slot script's answer that reached the wrong command (ioredis 6 resolved an acquire with a
 * leave's reply during a Cluster failover) is refused, so the replica asks again instead of
 * reading another request's grant as its own.
 */
describe('slot script answers are taken only by the command they answer', () => {
  it('an acquire takes its own answer, and no other script’s or request’s', () => {
    expect(acquireAnswer([1, 2, 0, 0, 'r:1'], 'r:1')).toEqual({ status: 1, waiting: 0, heldBack: false });
    expect(acquireAnswer([0, 2, 3, 1, 'r:1'], 'r:1')).toEqual({ status: 0, waiting: 3, heldBack: true });
    for (const wrong of [0, 1, null, [1, 2, 0, 0, 'r:2'], [1, 'r:1'], [1, 2, 0, 0, 'r:1', 'x']]) expect(() => acquireAnswer(wrong, 'r:1')).toThrow(MisdirectedAnswer);
  });

  it('requests acquired by one script each take their own answer, in their order; a reply short of one, or out of order, is refused whole', () => {
    expect(acquireAnswers([[1, 1, 0, 0, 'r:1'], [0, 1, 1, 0, 'r:2']], ['r:1', 'r:2'])).toEqual([
      { status: 1, waiting: 0, heldBack: false },
      { status: 0, waiting: 1, heldBack: false },
    ]);
    for (const wrong of [[1, 1, 0, 0, 'r:1'], [[1, 1, 0, 0, 'r:1']], [[0, 1, 1, 0, 'r:2'], [1, 1, 0, 0, 'r:1']], 1]) expect(() => acquireAnswers(wrong, ['r:1', 'r:2'])).toThrow(MisdirectedAnswer);
  });

  it('a sweep takes its own answer, and not an acquire’s or another sweep’s', () => {
    expect(sweepAnswer([1, 0, 'r:1'], ['r:1', 'r:2'])).toEqual([1, 0]);
    for (const wrong of [0, [1, 2, 0, 0, 'r:1'], [1, 0, 'r:3'], [1, 'r:1']]) expect(() => sweepAnswer(wrong, ['r:1', 'r:2'])).toThrow(MisdirectedAnswer);
  });
});
