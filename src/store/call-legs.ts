import { deleteCalls, storeCalls, storedCallFromRow, type CallRow, type CallToStore, type LegJoin } from './calls-repository.js';
import type { Tx } from './database.js';

// Legs of multi-leg formats (migration 004): a new leg joins the stored call it shares a key with
// (leg_keys), or several of them, which then become one; the call is merged again from all its
// legs and written anew, the rollups moving by the difference. Legs of one call may arrive in
// different batches, from different collectors, in any order: the result is the same.

/** The first key of the advisory locks that serialize joining legs, per switch (the second). */
const LEG_LOCK = 0x4c454753; // "LEGS"

interface Group {
  legs: CallToStore[];
  /** Stored calls this group joins. */
  stored: Set<string>;
}

/** Joins legs (new ones, or stored ones whose call was taken apart) into their calls; returns the calls written. */
export async function joinLegs(tx: Tx, legs: CallToStore[]): Promise<CallToStore[]> {
  if (legs.length === 0) return [];
  // Writers joining legs of one switch at once (site collectors pushing to one server) take turns,
  // or each could start the same call anew.
  const switchIds = [...new Set(legs.map((l) => l.switchId))].sort((a, b) => a - b);
  for (const id of switchIds) await tx.query('SELECT pg_advisory_xact_lock($1, $2)', [LEG_LOCK, id]);
  const keys = legs.map((l) => [...new Set(l.leg!.keys(l.call))]);
  const known = await storedKeys(tx, legs, keys);
  const groups = groupLegs(legs, keys, known);
  const stored = [...new Set(groups.flatMap((g) => [...g.stored]))];
  const joins = new Map(legs.map((l) => [l.switchId, l.leg!]));
  const storedLegs = await loadLegs(tx, stored, (switchId) => joins.get(switchId)!);
  await deleteCalls(tx, 'id = ANY($1::uuid[])', [stored]);

  const calls: CallToStore[] = [];
  const legIds: string[] = [];
  const legCalls: string[] = [];
  const keyRows = new Map<string, [number, string, string]>();
  for (const group of groups) {
    const all = [...group.stored].flatMap((id) => storedLegs.get(id) ?? []);
    all.push(...group.legs);
    all.sort(readOrder);
    // The call keeps the id of the earliest stored call it joins (ids begin with the start time), else its first leg's.
    const id = group.stored.size > 0 ? [...group.stored].sort()[0]! : all[0]!.key;
    calls.push(joinedCall(id, all));
    for (const leg of all) {
      legIds.push(leg.key);
      legCalls.push(id);
    }
    for (const leg of group.legs) for (const key of leg.leg!.keys(leg.call)) keyRows.set(`${leg.switchId}|${key}`, [leg.switchId, key, id]);
  }
  await storeCalls(tx, calls);
  await tx.query('UPDATE call_legs SET logical_call_id = v.call FROM unnest($1::uuid[], $2::uuid[]) AS v(leg, call) WHERE call_legs.id = v.leg', [legIds, legCalls]);
  const absorbed = groups.flatMap((g, i) => [...g.stored].filter((id) => id !== calls[i]!.key).map((id) => [id, calls[i]!.key] as const));
  if (absorbed.length > 0) {
    await tx.query('UPDATE leg_keys SET logical_call_id = v.now FROM unnest($1::uuid[], $2::uuid[]) AS v(was, now) WHERE leg_keys.logical_call_id = v.was', [
      absorbed.map((a) => a[0]),
      absorbed.map((a) => a[1]),
    ]);
  }
  const rows = [...keyRows.values()];
  await tx.query(
    `INSERT INTO leg_keys (switch_id, key, logical_call_id) SELECT * FROM unnest($1::int[], $2::text[], $3::uuid[])
     ON CONFLICT (switch_id, key) DO UPDATE SET logical_call_id = excluded.logical_call_id`,
    [rows.map((r) => r[0]), rows.map((r) => r[1]), rows.map((r) => r[2])],
  );
  return calls;
}

const readOrder = (a: CallToStore, b: CallToStore): number =>
  a.journal.receivedAt.getTime() - b.journal.receivedAt.getTime() || a.journal.sequence - b.journal.sequence || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

function joinedCall(id: string, legs: CallToStore[]): CallToStore {
  const first = legs[0]!;
  const join = first.leg!;
  const call = join.merge(legs.map((l) => l.call));
  const startedAtMs = Date.parse(call.startedAt);
  return {
    key: id,
    tenantId: first.tenantId,
    switchId: first.switchId,
    switchName: first.switchName,
    call,
    startedAtMs,
    journal: first.journal,
    eventRecords: null,
    rating: join.price(call, first.tenantId, startedAtMs),
  };
}

/** The stored call each of the legs' keys already leads to, by `switch|key`. */
async function storedKeys(tx: Tx, legs: CallToStore[], keys: string[][]): Promise<Map<string, string>> {
  const switches = legs.flatMap((l, i) => keys[i]!.map(() => l.switchId));
  const rows = await tx.query<{ switch_id: number; key: string; logical_call_id: string }>(
    `SELECT k.switch_id, k.key, k.logical_call_id::text AS logical_call_id
     FROM leg_keys k JOIN unnest($1::int[], $2::text[]) AS q(switch_id, key) ON k.switch_id = q.switch_id AND k.key = q.key`,
    [switches, keys.flat()],
  );
  return new Map(rows.map((r) => [`${r.switch_id}|${r.key}`, r.logical_call_id]));
}

/** Legs that share a key, directly or through others, form one group with the stored calls their keys lead to. */
function groupLegs(legs: CallToStore[], keys: string[][], known: Map<string, string>): Group[] {
  const parent = legs.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const firstWithKey = new Map<string, number>();
  legs.forEach((leg, i) => {
    for (const key of keys[i]!) {
      const k = `${leg.switchId}|${key}`;
      const j = firstWithKey.get(k);
      if (j === undefined) firstWithKey.set(k, i);
      else parent[root(i)] = root(j);
    }
  });
  // Legs joined through a stored call belong together too.
  const byStored = new Map<string, number>();
  legs.forEach((leg, i) => {
    for (const key of keys[i]!) {
      const id = known.get(`${leg.switchId}|${key}`);
      if (id === undefined) continue;
      const j = byStored.get(id);
      if (j === undefined) byStored.set(id, i);
      else parent[root(i)] = root(j);
    }
  });
  const groups = new Map<number, Group>();
  legs.forEach((leg, i) => {
    const r = root(i);
    let group = groups.get(r);
    if (!group) groups.set(r, (group = { legs: [], stored: new Set() }));
    group.legs.push(leg);
    for (const key of keys[i]!) {
      const id = known.get(`${leg.switchId}|${key}`);
      if (id !== undefined) group.stored.add(id);
    }
  });
  return [...groups.values()];
}

type LegRow = CallRow & { logical_call_id: string };

function legFromRow(r: LegRow, join: LegJoin): CallToStore {
  const { call } = storedCallFromRow(r);
  return {
    key: r.id,
    tenantId: r.tenant_id,
    switchId: r.switch_id,
    switchName: r.switch_name,
    call,
    startedAtMs: r.started_at.getTime(),
    journal: { source: r.source, receivedAt: r.received_at, sequence: Number(r.sequence), ordinal: r.ordinal },
    eventRecords: null,
    leg: join,
  };
}

/** The stored legs of these calls, by call id. */
async function loadLegs(tx: Tx, callIds: string[], joinOf: (switchId: number) => LegJoin): Promise<Map<string, CallToStore[]>> {
  const byCall = new Map<string, CallToStore[]>();
  if (callIds.length === 0) return byCall;
  const rows = await tx.query<LegRow>(
    `SELECT l.*, s.name AS switch_name, s.timezone AS switch_timezone, s.format FROM call_legs l JOIN switches s ON s.id = l.switch_id
     WHERE l.logical_call_id = ANY($1::uuid[])`,
    [callIds],
  );
  for (const r of rows) {
    let legs = byCall.get(r.logical_call_id);
    if (!legs) byCall.set(r.logical_call_id, (legs = []));
    legs.push(legFromRow(r, joinOf(r.switch_id)));
  }
  return byCall;
}

/**
 * Takes legs out of their calls (reprocess is about to parse their records again): deletes the legs
 * and the calls they were in, and returns the other legs of those calls, to be joined again.
 */
export async function detachLegs(tx: Tx, switchId: number, legIds: string[], join: LegJoin): Promise<{ removed: number; rest: CallToStore[] }> {
  if (legIds.length === 0) return { removed: 0, rest: [] };
  const gone = await tx.query<{ logical_call_id: string }>(
    'DELETE FROM call_legs WHERE switch_id = $1 AND id = ANY($2::uuid[]) RETURNING logical_call_id::text AS logical_call_id',
    [switchId, legIds],
  );
  const calls = [...new Set(gone.map((r) => r.logical_call_id))];
  const rest = [...(await loadLegs(tx, calls, () => join)).values()].flat();
  await deleteCalls(tx, 'id = ANY($1::uuid[])', [calls]);
  await tx.query('DELETE FROM leg_keys WHERE logical_call_id = ANY($1::uuid[])', [calls]);
  return { removed: gone.length, rest };
}
