import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeEntry, SEGMENT_HEADER, type JournalAppend } from './codec.js';
import { RecordJournal, type JournalRecord } from './journal.js';
import { JournalPump } from './pump.js';

let dir: string;
const cleanup: (() => Promise<void>)[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'calltrail-pump-'));
});

afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});

async function openJournal(options: Parameters<typeof RecordJournal.open>[1] = {}): Promise<RecordJournal> {
  const j = await RecordJournal.open(dir, options);
  cleanup.push(() => j.close());
  return j;
}

function startPump(...args: ConstructorParameters<typeof JournalPump>): JournalPump {
  const pump = new JournalPump(...args).start();
  cleanup.push(() => pump.stop());
  return pump;
}

function rec(i: number): JournalAppend {
  return { source: 'pbx/tcp', receivedAt: 1_760_000_000_000 + i, text: `record ${i}` };
}

const FAST_RETRY = { firstMs: 5, maxMs: 40 };

/** A consumer that records the batches it stored and can be switched to failing. */
function store(): { consumer: (batch: JournalRecord[]) => Promise<void>; stored: JournalRecord[]; batches: number[][]; failed: number[][]; down: boolean } {
  const s = {
    stored: [] as JournalRecord[],
    batches: [] as number[][],
    failed: [] as number[][],
    down: false,
    consumer: async (batch: JournalRecord[]): Promise<void> => {
      await sleep(1);
      if (s.down) {
        s.failed.push(batch.map((r) => r.sequence));
        throw new Error('database unreachable');
      }
      s.batches.push(batch.map((r) => r.sequence));
      s.stored.push(...batch);
    },
  };
  return s;
}

const upTo = (n: number): number[] => Array.from({ length: n }, (_, k) => k + 1);

describe('JournalPump', () => {
  it('moves the checkpoint only once the store says what it committed is durable', async () => {
    const j = await openJournal();
    await Promise.all(upTo(300).map((i) => j.append(rec(i))));
    const s = store();
    let syncs = 0;
    let synced: () => void = () => {};
    const durable = (): Promise<void> => {
      syncs++;
      return new Promise<void>((resolve) => (synced = resolve));
    };
    const pump = startPump(j, s.consumer, { maxBatch: 100, durable });
    await pump.whenDelivered(300);
    expect(s.stored.map((r) => r.sequence)).toEqual(upTo(300)); // storing goes on meanwhile
    await sleep(50);
    expect(j.committedSequence).toBe(0);
    expect(syncs).toBe(3);
    synced(); // the last batch's sync: its checkpoint covers the batches before it too
    for (let i = 0; i < 100 && j.committedSequence < 300; i++) await sleep(5);
    expect(j.committedSequence).toBe(300);
  });

  it('delivers a backlog oldest first in bounded batches and commits each', async () => {
    const j = await openJournal();
    await Promise.all(upTo(2500).map((i) => j.append(rec(i))));
    const s = store();
    const pump = startPump(j, s.consumer, { maxBatch: 1000 });
    await pump.whenDelivered(2500);
    expect(s.batches.map((b) => b.length)).toEqual([1000, 1000, 500]);
    expect(s.stored.map((r) => r.sequence)).toEqual(upTo(2500));
    expect(s.stored[41]).toEqual({ sequence: 42, source: 'pbx/tcp', receivedAt: rec(42).receivedAt, text: 'record 42', truncated: false });
    await pump.stop();
    await j.close();
    expect(JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'))).toEqual({ committed: 2500 });
  });

  it('retries a failing batch unchanged until the consumer recovers: every record once, in order', async () => {
    const j = await openJournal();
    await Promise.all(upTo(300).map((i) => j.append(rec(i))));
    const s = store();
    let calls = 0;
    const consumer = async (batch: JournalRecord[]): Promise<void> => {
      calls++;
      s.down = calls >= 2 && calls <= 6; // the second batch fails five times
      return s.consumer(batch);
    };
    const pump = startPump(j, consumer, { maxBatch: 100, retry: FAST_RETRY });
    await pump.whenDelivered(300);
    expect(s.failed).toHaveLength(5);
    for (const f of s.failed) expect(f).toEqual(upTo(200).slice(100)); // the same batch each time
    expect(s.batches).toEqual([upTo(100), upTo(200).slice(100), upTo(300).slice(200)]);
    expect(s.stored.map((r) => r.sequence)).toEqual(upTo(300));
    expect(pump.stats).toMatchObject({ delivered: 300, batches: 3, failures: 5, failing: null });
    await pump.stop();
    expect(j.committedSequence).toBe(300);
  });

  it('a consumer outage under a steady stream: appends go on, the backlog drains by itself, nothing lost', async () => {
    const j = await openJournal({ fsync: { intervalMs: 20 } });
    const s = store();
    const pump = startPump(j, s.consumer, { maxBatch: 200, retry: { firstMs: 20, maxMs: 500 } });
    let appended = 0;
    let appending = true;
    const stream = (async () => {
      while (appending) {
        await Promise.all(upTo(10).map(() => j.append(rec(++appended))));
        await sleep(2);
      }
    })();
    await pump.whenDelivered(50);
    s.down = true;
    const downFrom = j.lastSequence;
    await sleep(3000); // the outage
    while (j.lastSequence < downFrom + 1000) await sleep(10);
    const during = await j.backlog();
    expect(during.records).toBeGreaterThanOrEqual(1000);
    expect(during.oldestReceivedAt).toBe(rec(pump.deliveredSequence + 1).receivedAt);
    expect(pump.stats.failing?.error).toBe('database unreachable');
    s.down = false;
    await sleep(50);
    appending = false;
    await stream;
    await pump.whenDelivered(appended);
    expect(s.stored.map((r) => r.sequence)).toEqual(upTo(appended));
    expect(s.stored.map((r) => r.text)).toEqual(upTo(appended).map((i) => `record ${i}`));
    for (const b of s.batches) expect(b.length).toBeLessThanOrEqual(200);
    await pump.stop();
    expect(await j.backlog()).toEqual({ records: 0, bytes: 0, oldestReceivedAt: null });
  });

  it('delivers new records promptly, without polling', async () => {
    const j = await openJournal();
    const s = store();
    const pump = startPump(j, s.consumer);
    await sleep(20);
    expect(s.batches).toEqual([]);
    await j.append(rec(1));
    await pump.whenDelivered(1);
    await j.append(rec(2));
    await j.append(rec(3));
    await pump.whenDelivered(3);
    expect(s.stored.map((r) => r.sequence)).toEqual([1, 2, 3]);
  });

  it('with maxDelayMs, gathers records that arrive meanwhile into one batch', async () => {
    const j = await openJournal();
    const s = store();
    const pump = startPump(j, s.consumer, { maxDelayMs: 5_000, maxBatch: 5 });
    for (let i = 1; i <= 5; i++) {
      await j.append(rec(i));
      await sleep(5);
    }
    await pump.whenDelivered(5);
    expect(s.batches).toEqual([[1, 2, 3, 4, 5]]); // full before the delay ran out
  });

  it('goes on from the checkpoint after a restart: nothing delivered twice, nothing skipped', async () => {
    let j = await RecordJournal.open(dir);
    await Promise.all(upTo(1000).map((i) => j.append(rec(i))));
    const s = store();
    let pump = new JournalPump(j, s.consumer, { maxBatch: 100 }).start();
    await pump.whenDelivered(400);
    await pump.stop();
    await j.close();

    j = await openJournal();
    expect(j.committedSequence).toBe(s.stored.length);
    await Promise.all(upTo(200).map((i) => j.append(rec(1000 + i))));
    pump = startPump(j, s.consumer, { maxBatch: 100 });
    await pump.whenDelivered(1200);
    expect(s.stored.map((r) => r.sequence)).toEqual(upTo(1200));
  });

  it('hands damaged bytes over as a damaged record, in its place', async () => {
    let j = await RecordJournal.open(dir);
    await Promise.all(upTo(5).map((i) => j.append(rec(i))));
    await j.close();
    const segment = readdirSync(dir).find((n) => n.endsWith('.seg'))!;
    const data = readFileSync(join(dir, segment));
    const sizes = upTo(5).map((i) => encodeEntry(i, rec(i)).length);
    const at = SEGMENT_HEADER.length + sizes[0]! + sizes[1]! + 20; // inside record 3
    data.writeUInt8(data.readUInt8(at) ^ 0x40, at);
    writeFileSync(join(dir, segment), data);

    j = await openJournal();
    const s = store();
    const pump = startPump(j, s.consumer);
    await pump.whenDelivered(5);
    expect(s.stored.map((r) => [r.sequence, r.damage === undefined])).toEqual([
      [1, true],
      [2, true],
      [3, false],
      [4, true],
      [5, true],
    ]);
    expect(s.stored[2]!.damage).toMatch(/^journal bytes damaged on disk \(checksum mismatch\): \d+ bytes at 0+1\.seg offset \d+, sequence 3; copied to /);
  });

  it('stops during an outage without committing the failed batch; the next pump delivers it', async () => {
    const j = await openJournal();
    await Promise.all(upTo(10).map((i) => j.append(rec(i))));
    const s = store();
    s.down = true;
    const pump = new JournalPump(j, s.consumer, { retry: { firstMs: 10_000, maxMs: 10_000 } }).start();
    while (s.failed.length === 0) await sleep(5);
    await pump.stop(); // cuts the 10 s backoff short
    expect(j.committedSequence).toBe(0);
    s.down = false;
    const next = startPump(j, s.consumer);
    await next.whenDelivered(10);
    expect(s.stored.map((r) => r.sequence)).toEqual(upTo(10));
  });
});
