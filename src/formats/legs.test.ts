import { describe, expect, it } from 'vitest';
import { emptyCall, type Call } from '../core/call.js';
import { LegMerger, mergeLegs } from './legs.js';

// A leg: start and end as minutes past 10:00 UTC, talk seconds, and the ids it is known by or points at.
function leg(callId: string, startMin: number, endMin: number, talk: number, keys: string[], more: Partial<Call> = {}): Call {
  const iso = (min: number): string => new Date(Date.UTC(2026, 0, 15, 10) + min * 60_000).toISOString().replace('.000Z', '+00:00');
  const call = emptyCall('test', iso(startMin), callId);
  call.callId = callId;
  call.endedAt = iso(endMin);
  call.durationSeconds = (endMin - startMin) * 60;
  call.talkSeconds = talk;
  call.answeredAt = talk > 0 ? iso(endMin - talk / 60) : null;
  call.disposition = talk > 0 ? 'answered' : 'no_answer';
  call.extra = { keys: keys.join(' ') };
  return Object.assign(call, more);
}
const keysOf = (c: Call): string[] => String(c.extra.keys).split(' ').filter(Boolean);

describe('mergeLegs', () => {
  it('joins legs that share an id, also through a chain (a-leg names the b-leg, a third leg names the b-leg)', () => {
    const calls = [
      leg('b', 0, 5, 240, ['b']),
      leg('a', 0, 5, 240, ['a', 'b'], { extension: '201' }),
      leg('c', 5, 9, 180, ['c', 'b'], { extension: '205' }),
      leg('x', 1, 2, 0, ['x']),
    ];
    const logical = mergeLegs(calls, keysOf);
    expect(logical.map((l) => l.legs.map((c) => c.callId))).toEqual([['b', 'a', 'c'], ['x']]);
    const merged = logical[0]!.call;
    // The a-leg (pointing at others) leads on a tie of start; a-leg and b-leg talk at once, so it counts once.
    expect(merged).toMatchObject({
      callId: 'a',
      startedAt: '2026-01-15T10:00:00+00:00',
      answeredAt: '2026-01-15T10:01:00+00:00',
      endedAt: '2026-01-15T10:09:00+00:00',
      talkSeconds: 420,
      durationSeconds: 540,
      ringSeconds: 60,
      disposition: 'answered',
      extra: { legs: 3, legCallIds: 'b a c', answeredLeg: 'b' },
      raw: 'b\na\nc',
    });
    expect(logical[1]!.call).toBe(calls[3]);
  });

  it('says nobody answered when no leg did, and keeps the originating leg’s disposition', () => {
    const [call] = mergeLegs([leg('r1', 0, 1, 0, ['g']), leg('r2', 0, 1, 0, ['g'], { disposition: 'busy' })], keysOf);
    expect(call!.call).toMatchObject({ disposition: 'no_answer', answeredBy: null, answeredAt: null, talkSeconds: 0, durationSeconds: 60, extra: { answeredLeg: null } });
  });

  it('names the answering leg of a ring group and the phone a transfer went to', () => {
    const logical = mergeLegs(
      [
        leg('g1', 0, 1, 0, ['g'], { extension: '201' }),
        leg('g2', 0, 4, 180, ['g'], { extension: '202', answeredBy: '202' }),
        leg('g3', 4, 6, 120, ['g'], { answeredBy: '207' }),
      ],
      keysOf,
    );
    expect(logical[0]!.call).toMatchObject({ answeredBy: '202', transferredTo: '207', talkSeconds: 300, extra: { answeredLeg: 'g2' } });
  });
});

describe('LegMerger', () => {
  it('completes a logical call once the stream is a window past its last end, in start order', () => {
    const merger = new LegMerger(keysOf, { windowSeconds: 600 });
    expect(merger.push(leg('a1', 0, 2, 60, ['a']))).toEqual([]);
    expect(merger.push(leg('b1', 1, 3, 60, ['b']))).toEqual([]);
    expect(merger.push(leg('a2', 2, 4, 60, ['a']))).toEqual([]);
    // 10:15 is more than ten minutes past both calls' ends: both complete, the earlier first.
    const done = merger.push(leg('c1', 14, 15, 30, ['c']));
    expect(done.map((l) => l.legs.map((c) => c.callId))).toEqual([['a1', 'a2'], ['b1']]);
    // A late leg of a completed call starts a new logical call under the same key.
    expect(merger.push(leg('a3', 15, 16, 0, ['a']))).toEqual([]);
    expect(merger.flush().map((l) => l.legs.map((c) => c.callId))).toEqual([['c1'], ['a3']]);
    expect(merger.flush()).toEqual([]);
  });

  it('holds at most maxOpenCalls, completing the oldest first', () => {
    const merger = new LegMerger(keysOf, { maxOpenCalls: 2 });
    merger.push(leg('1', 0, 1, 0, ['1']));
    merger.push(leg('2', 1, 2, 0, ['2']));
    expect(merger.push(leg('3', 2, 3, 0, ['3'])).map((l) => l.call.callId)).toEqual(['1']);
    expect(merger.flush().map((l) => l.call.callId)).toEqual(['2', '3']);
  });

  it('joins two open calls when a later leg names both', () => {
    const merger = new LegMerger(keysOf);
    merger.push(leg('p', 0, 3, 120, ['p']));
    merger.push(leg('q', 0, 3, 120, ['q']));
    merger.push(leg('r', 0, 3, 120, ['r', 'p', 'q']));
    const [only, ...rest] = merger.flush();
    expect(rest).toEqual([]);
    expect(only!.legs.map((c) => c.callId)).toEqual(['p', 'q', 'r']);
    expect(only!.call).toMatchObject({ callId: 'r', talkSeconds: 120 });
  });
});
