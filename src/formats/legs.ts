import type { Call } from '../core/call.js';
import { epochOfIso } from '../core/time.js';

// Leg merging: VoIP switches write one record per leg (FreeSWITCH a-leg and b-leg, one Asterisk
// CDR per dialled channel or transfer segment, CUCM legs of one globalCallID). A logical call
// joins them: first start, last end, talk over all legs, who answered; the legs stay listed.
//
// Streaming and bounded: legs of one call are written close together, so a logical call is
// complete once the stream has moved `windowSeconds` past its last end. A leg that arrives later
// still (a call longer than the window, say) starts a new logical call with the same key.

export interface LogicalCall {
  /** The merged call in the contract's shape; a call of one leg is that leg itself. */
  call: Call;
  /** The legs, in the order they were read. */
  legs: Call[];
}

export type LegKeys = (call: Call) => readonly string[];

export interface LegMergerOptions {
  /** How long past a logical call's last end the stream must move before the call is complete (default 4 h). */
  windowSeconds?: number;
  /** The most logical calls held open; past it the oldest are completed early (default 100,000). */
  maxOpenCalls?: number;
}

interface Leg {
  call: Call;
  seq: number;
  keyCount: number;
  startMs: number;
  endMs: number;
}

interface Group {
  legs: Leg[];
  keys: string[];
  seq: number;
  startMs: number;
  endMs: number;
}

function legTimes(call: Call): { startMs: number; endMs: number } {
  const startMs = epochOfIso(call.startedAt);
  const endMs = call.endedAt !== null ? epochOfIso(call.endedAt) : startMs + call.durationSeconds * 1000;
  return { startMs, endMs: Number.isFinite(endMs) ? endMs : startMs };
}

const byStart = (a: { startMs: number; seq: number }, b: { startMs: number; seq: number }): number => a.startMs - b.startMs || a.seq - b.seq;

export class LegMerger {
  private readonly open = new Set<Group>();
  private readonly byKey = new Map<string, Group>();
  private readonly windowMs: number;
  private readonly maxOpen: number;
  private seq = 0;
  private newestMs = -Infinity;
  private lastSweepMs = -Infinity;

  constructor(
    private readonly legKeys: LegKeys,
    options: LegMergerOptions = {},
  ) {
    this.windowMs = (options.windowSeconds ?? 4 * 3600) * 1000;
    this.maxOpen = options.maxOpenCalls ?? 100_000;
  }

  /** Takes one leg; returns the logical calls it let complete. */
  push(call: Call): LogicalCall[] {
    const keys = this.legKeys(call);
    const { startMs, endMs } = legTimes(call);
    const leg: Leg = { call, seq: this.seq++, keyCount: keys.length, startMs, endMs };
    let group: Group | undefined;
    for (const key of keys) {
      const found = this.byKey.get(key);
      if (!found || found === group) continue;
      if (!group) group = found;
      else group = this.join(group, found);
    }
    if (!group) {
      group = { legs: [], keys: [], seq: leg.seq, startMs, endMs };
      this.open.add(group);
    }
    group.legs.push(leg);
    for (const key of keys) {
      if (this.byKey.get(key) === group) continue;
      this.byKey.set(key, group);
      group.keys.push(key);
    }
    if (startMs < group.startMs) group.startMs = startMs;
    if (endMs > group.endMs) group.endMs = endMs;
    if (endMs > this.newestMs) this.newestMs = endMs;
    if (this.open.size > this.maxOpen || this.newestMs - this.lastSweepMs >= this.windowMs / 8) return this.sweep();
    return [];
  }

  /** Ends the stream: every logical call still open, in start order. */
  flush(): LogicalCall[] {
    const groups = [...this.open];
    this.open.clear();
    this.byKey.clear();
    return groups.sort(byStart).map(logicalCall);
  }

  private join(into: Group, from: Group): Group {
    const [big, small] = into.legs.length >= from.legs.length ? [into, from] : [from, into];
    for (const leg of small.legs) big.legs.push(leg);
    for (const key of small.keys) {
      this.byKey.set(key, big);
      big.keys.push(key);
    }
    big.legs.sort((a, b) => a.seq - b.seq);
    big.seq = Math.min(big.seq, small.seq);
    big.startMs = Math.min(big.startMs, small.startMs);
    big.endMs = Math.max(big.endMs, small.endMs);
    this.open.delete(small);
    return big;
  }

  private sweep(): LogicalCall[] {
    this.lastSweepMs = this.newestMs;
    const done: Group[] = [];
    for (const group of this.open) if (group.endMs + this.windowMs < this.newestMs) done.push(group);
    if (this.open.size - done.length > this.maxOpen) {
      const rest = [...this.open].filter((g) => !done.includes(g)).sort((a, b) => a.endMs - b.endMs);
      done.push(...rest.slice(0, rest.length - this.maxOpen));
    }
    for (const group of done) {
      this.open.delete(group);
      for (const key of group.keys) if (this.byKey.get(key) === group) this.byKey.delete(key);
    }
    return done.sort(byStart).map(logicalCall);
  }
}

/** Every logical call of a whole list of legs, in start order (the merger itself gives them in the order they complete). */
export function mergeLegs(calls: Iterable<Call>, legKeys: LegKeys, options: LegMergerOptions = {}): LogicalCall[] {
  const merger = new LegMerger(legKeys, options);
  const out: LogicalCall[] = [];
  for (const call of calls) out.push(...merger.push(call));
  out.push(...merger.flush());
  const starts = new Map(out.map((l) => [l, epochOfIso(l.call.startedAt)]));
  return out.sort((a, b) => starts.get(a)! - starts.get(b)!);
}

/** The talked seconds of several legs: the union of their talk spans, so a bridged a-leg and b-leg count once. */
function talkUnion(legs: readonly Leg[]): number {
  const spans = legs
    .filter((l) => l.call.talkSeconds > 0)
    .map((l) => [l.endMs - l.call.talkSeconds * 1000, l.endMs] as const)
    .sort((a, b) => a[0] - b[0]);
  let total = 0;
  let from = -Infinity;
  let to = -Infinity;
  for (const [a, b] of spans) {
    if (a > to) {
      if (to > from) total += to - from;
      from = a;
      to = b;
    } else if (b > to) to = b;
  }
  if (to > from) total += to - from;
  return Math.round(total / 1000);
}

function logicalCall(group: Group): LogicalCall {
  return { call: mergedCall(group.legs), legs: group.legs.map((l) => l.call) };
}

/** The logical call of legs already known to belong together (the store's case), in the order they were read. */
export function mergeLegCalls(calls: readonly Call[], legKeys: LegKeys): Call {
  return mergedCall(calls.map((call, seq) => ({ call, seq, keyCount: legKeys(call).length, ...legTimes(call) })));
}

function mergedCall(group: readonly Leg[]): Call {
  if (group.length === 1) return group[0]!.call;
  const legs = group.map((l) => l.call);
  // The originating leg: the earliest start; on a tie the leg that points at others (the a-leg).
  const primary = [...group].sort((a, b) => a.startMs - b.startMs || b.keyCount - a.keyCount || a.seq - b.seq)[0]!;
  const answered = group
    .filter((l) => l.call.disposition === 'answered' && l.call.answeredAt !== null)
    .map((l) => ({ leg: l, answerMs: epochOfIso(l.call.answeredAt!) }))
    .sort((a, b) => a.answerMs - b.answerMs || Number(a.leg === primary) - Number(b.leg === primary) || a.leg.seq - b.leg.seq);
  const last = group.reduce((a, b) => (b.endMs > a.endMs ? b : a));
  const first = answered[0];
  const talk = talkUnion(group);
  const p = primary.call;
  const who = (c: Call): string | null => c.answeredBy ?? c.extension ?? c.calledNumber;
  return {
    ...p,
    endedAt: last.call.endedAt ?? p.endedAt,
    answeredAt: first ? first.leg.call.answeredAt : null,
    ringSeconds: first ? Math.round((first.answerMs - primary.startMs) / 1000) : p.ringSeconds,
    talkSeconds: talk,
    holdSeconds: group.some((l) => l.call.holdSeconds !== null) ? group.reduce((s, l) => s + (l.call.holdSeconds ?? 0), 0) : null,
    durationSeconds: Math.max(talk, Math.round((last.endMs - primary.startMs) / 1000)),
    disposition: first ? 'answered' : p.disposition,
    hangupCause: p.hangupCause ?? first?.leg.call.hangupCause ?? null,
    answeredBy: first ? who(first.leg.call) : null,
    transferredTo: answered.length > 1 ? who(answered[answered.length - 1]!.leg.call) : p.transferredTo,
    extra: {
      ...p.extra,
      legs: legs.length,
      legCallIds: legs.map((c) => c.callId ?? '').join(' '),
      answeredLeg: first ? first.leg.call.callId : null,
    },
    raw: legs.map((c) => c.raw).join('\n'),
  };
}
