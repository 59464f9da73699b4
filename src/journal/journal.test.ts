import { appendFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as zlib from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CalltrailError } from '../core/errors.js';
import { encodeEntry, SEGMENT_HEADER, type JournalAppend } from './codec.js';
import { crc32, crc32Js } from './crc32.js';
import { RecordJournal, type JournalRecord } from './journal.js';

let dir: string;
const open: RecordJournal[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'calltrail-journal-'));
});

afterEach(async () => {
  for (const j of open.splice(0)) await j.close();
  rmSync(dir, { recursive: true, force: true });
});

async function openJournal(options: Parameters<typeof RecordJournal.open>[1] = {}): Promise<RecordJournal> {
  const j = await RecordJournal.open(dir, options);
  open.push(j);
  return j;
}

async function reopen(j: RecordJournal, options: Parameters<typeof RecordJournal.open>[1] = {}): Promise<RecordJournal> {
  await j.close();
  return openJournal(options);
}

function rec(i: number, extra: Partial<JournalAppend> = {}): JournalAppend {
  return { source: 'pbx-1/tcp', receivedAt: 1_760_000_000_000 + i, text: `record ${i}`, ...extra };
}

function expected(i: number, extra: Partial<JournalAppend> = {}): JournalRecord {
  const r = rec(i, extra);
  return { sequence: i, source: r.source, receivedAt: r.receivedAt, text: r.text, truncated: r.truncated ?? false, ...(r.peer !== undefined ? { peer: r.peer } : {}) };
}

async function appendN(j: RecordJournal, from: number, to: number): Promise<void> {
  await Promise.all(Array.from({ length: to - from + 1 }, (_, k) => j.append(rec(from + k))));
}

async function readAll(j: RecordJournal, after = 0): Promise<JournalRecord[]> {
  const out: JournalRecord[] = [];
  for await (const r of j.replay(after)) out.push(r);
  return out;
}

function segmentsIn(): string[] {
  return readdirSync(dir)
    .filter((n) => n.endsWith('.seg'))
    .sort();
}

function corruptFiles(): string[] {
  return readdirSync(dir).filter((n) => n.endsWith('.corrupt'));
}

/** Byte offset of entry `index` (0-based) in a segment whose entries are `sizes` long. */
function offsetOf(sizes: number[], index: number): number {
  return SEGMENT_HEADER.length + sizes.slice(0, index).reduce((a, b) => a + b, 0);
}

describe('crc32', () => {
  it('gives the standard CRC-32 check value and matches zlib where Node has it', () => {
    expect(crc32Js(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
    expect(crc32Js(Buffer.from('6789'), crc32Js(Buffer.from('12345')))).toBe(0xcbf43926);
    const native = (zlib as unknown as { crc32?: (b: Uint8Array) => number }).crc32;
    if (native) {
      const data = Buffer.from('Ünïcödé \u0000 text', 'utf8');
      expect(crc32Js(data)).toBe(native(data));
    }
  });
});

describe('RecordJournal', () => {
  it('reads back what was appended, byte for byte: non-ASCII, NUL, peer, truncated, empty', async () => {
    const j = await openJournal();
    const entries: JournalAppend[] = [
      { source: 'hipath/serial', receivedAt: 1_760_000_000_123, text: 'Zürich → 東京 ☎ 0041 44 000 00 00' },
      { source: 'pbx/tcp', receivedAt: 1_760_000_000_124, text: 'a\u0000b\u0000\u0000c', peer: '10.0.0.5:4000' },
      { source: 'pbx/tcp', receivedAt: 1_760_000_000_125, text: 'x'.repeat(65_536), truncated: true },
      { source: 'pbx/udp', receivedAt: 1_760_000_000_126, text: '', peer: '[fe80::1]:514' },
      { source: '', receivedAt: 0.5, text: '\r\n trailing space \t' },
      { source: 'panasonic/serial', receivedAt: 1_760_000_000_127, text: '11/23/26 08:01AM   201 01 0044207900000', ordinal: 2 },
      { source: 'pbx/tcp', receivedAt: 1_760_000_000_128, text: 'both', peer: '10.0.0.6:1', ordinal: 4_294_967_295, truncated: true },
    ];
    const seqs = [];
    for (const e of entries) seqs.push(await j.append(e));
    expect(seqs).toEqual([1, 2, 3, 4, 5, 6, 7]);
    const expectedRecords = entries.map((e, i) => ({
      sequence: i + 1,
      source: e.source,
      receivedAt: e.receivedAt,
      text: e.text,
      truncated: e.truncated ?? false,
      ...(e.peer ? { peer: e.peer } : {}),
      ...(e.ordinal !== undefined ? { ordinal: e.ordinal } : {}),
    }));
    expect(await j.readBatch(0, 100)).toEqual(expectedRecords);
    expect(await j.readBatch(2, 2)).toEqual(expectedRecords.slice(2, 4));
    expect(await j.readBatch(7, 10)).toEqual([]);
    const again = await reopen(j);
    expect(await again.readBatch(0, 100)).toEqual(expectedRecords);
  });

  it('numbers records on across reopening, and above a checkpoint that is ahead of the segments', async () => {
    const j = await openJournal();
    await appendN(j, 1, 3);
    const j2 = await reopen(j);
    expect(j2.lastSequence).toBe(3);
    expect(await j2.append(rec(4))).toBe(4);
    await j2.commit(4);
    const j3 = await reopen(j2);
    expect(j3.committedSequence).toBe(4);
    expect(await j3.append(rec(5))).toBe(5);
    await j3.close();

    // Power loss took records the database already has: numbering continues above the checkpoint.
    writeFileSync(join(dir, 'checkpoint.json'), JSON.stringify({ committed: 1000 }));
    const j4 = await openJournal();
    expect(j4.lastSequence).toBe(1000);
    expect(await j4.append(rec(1001))).toBe(1001);
    expect(await j4.readBatch(1000, 10)).toEqual([expected(1001)]);
  });

  it('refuses a second opener of the same journal', async () => {
    await openJournal();
    await expect(RecordJournal.open(dir)).rejects.toMatchObject({ code: 'DATA_DIR_LOCKED' });
  });

  it('rejects a record too large to journal, without using up a sequence', async () => {
    const j = await openJournal();
    const err = await j.append(rec(1, { text: 'x'.repeat(17 * 1024 * 1024) })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CalltrailError);
    expect((err as CalltrailError).code).toBe('VALIDATION');
    expect(await j.append(rec(1))).toBe(1);
  });

  it('after a failed write refuses records until reopened; what was acknowledged before is kept', async () => {
    const j = await openJournal();
    await appendN(j, 1, 3);
    // The disk fails under the journal: its file handle goes bad.
    await (j as unknown as { active: { handle: { close(): Promise<void> } } }).active.handle.close();
    const err = await j.append(rec(4)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CalltrailError);
    expect((err as CalltrailError).message).toMatch(/writing failed .*no more records are taken until the journal is reopened/);
    await expect(j.append(rec(5))).rejects.toBe(err);
    open.splice(open.indexOf(j), 1);
    await j.close();
    const j2 = await openJournal();
    expect(await readAll(j2)).toEqual([1, 2, 3].map((i) => expected(i)));
    expect(await j2.append(rec(4))).toBe(4);
  });

  it('shares fsyncs among concurrent appends (group commit) and is durable when they resolve', async () => {
    const j = await openJournal({ fsync: 'always' });
    const seqs = await Promise.all(Array.from({ length: 500 }, (_, i) => j.append(rec(i + 1))));
    expect(seqs).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(j.durableSequence).toBe(500);
    // One fsync for the first append, one for the 499 that queued behind it.
    expect(j.io.syncs).toBeLessThanOrEqual(3);
    expect(await readAll(j)).toEqual(Array.from({ length: 500 }, (_, i) => expected(i + 1)));
  });

  it('with interval fsync, acknowledges on write and fsyncs within the interval', async () => {
    const j = await openJournal({ fsync: { intervalMs: 20 } });
    const seqs = await Promise.all(Array.from({ length: 50 }, (_, i) => j.append(rec(i + 1))));
    expect(seqs.at(-1)).toBe(50);
    expect(j.writtenSequence).toBe(50);
    expect(j.io.syncs).toBe(0); // nothing was waiting for an fsync
    for (let i = 0; i < 500 && j.durableSequence < 50; i++) await new Promise((r) => setTimeout(r, 10));
    expect(j.durableSequence).toBe(50);
    expect(j.io.syncs).toBe(1);
  });

  it('cuts a tail torn mid-entry on open, keeps the cut bytes aside, and goes on numbering', async () => {
    const j = await openJournal();
    await appendN(j, 1, 10);
    await j.close();
    const [segment] = segmentsIn();
    const path = join(dir, segment!);
    const size = statSync(path).size;
    const lastEntry = encodeEntry(10, rec(10)).length;
    truncateSync(path, size - 5);

    const j2 = await openJournal();
    expect(await readAll(j2)).toEqual(Array.from({ length: 9 }, (_, i) => expected(i + 1)));
    expect(statSync(path).size).toBe(size - lastEntry);
    expect(corruptFiles()).toEqual([`${segment}.${size - lastEntry}.corrupt`]);
    expect(readFileSync(join(dir, corruptFiles()[0]!)).length).toBe(lastEntry - 5);
    // Record 10 was never acknowledged (its write was torn): its number is given again.
    expect(await j2.append(rec(10))).toBe(10);
    expect(await readAll(j2)).toEqual(Array.from({ length: 10 }, (_, i) => expected(i + 1)));
  });

  it('cuts garbage after the last entry on open, earlier entries intact', async () => {
    const j = await openJournal();
    await appendN(j, 1, 10);
    await j.close();
    const path = join(dir, segmentsIn()[0]!);
    const size = statSync(path).size;
    // Garbage that even starts like an entry.
    appendFileSync(path, Buffer.concat([Buffer.from('CTJL', 'latin1'), Buffer.from([1, 2, 3, 4, 0xff, 0xff, 0, 0]), Buffer.from('\u0000garbage\n'.repeat(20))]));

    const j2 = await openJournal();
    expect(statSync(path).size).toBe(size);
    expect(corruptFiles()).toHaveLength(1);
    expect(await readAll(j2)).toEqual(Array.from({ length: 10 }, (_, i) => expected(i + 1)));
    expect(await j2.append(rec(11))).toBe(11);
  });

  it('removes a last segment torn before its first entry', async () => {
    const j = await openJournal({ segmentBytes: 200 });
    await appendN(j, 1, 3);
    await j.close();
    writeFileSync(join(dir, '00000000000000000004.seg'), SEGMENT_HEADER.subarray(0, 5));
    const j2 = await openJournal({ segmentBytes: 200 });
    expect(segmentsIn()).not.toContain('00000000000000000004.seg');
    expect(await j2.append(rec(4))).toBe(4);
    expect(await readAll(j2)).toEqual([1, 2, 3, 4].map((i) => expected(i)));
  });

  describe('damage inside the journal', () => {
    async function tenEntries(): Promise<{ path: string; sizes: number[]; segment: string }> {
      const j = await openJournal();
      await appendN(j, 1, 10);
      await j.close();
      const segment = segmentsIn()[0]!;
      return { path: join(dir, segment), segment, sizes: Array.from({ length: 10 }, (_, i) => encodeEntry(i + 1, rec(i + 1)).length) };
    }

    function damage(path: string, at: number, bytes: Buffer): void {
      const data = readFileSync(path);
      bytes.copy(data, at);
      writeFileSync(path, data);
    }

    it('a checksum mismatch comes back as a record marked damaged, with what could be read, and is kept aside', async () => {
      const { path, sizes, segment } = await tenEntries();
      const at = offsetOf(sizes, 4);
      damage(path, at + sizes[4]! - 1, Buffer.from('X')); // last byte of record 5's text
      const j = await openJournal();
      expect(j.lastSequence).toBe(10); // not taken for a torn tail
      const all = await readAll(j);
      expect(all).toHaveLength(10);
      expect(all.filter((r) => r.damage === undefined)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10].map((i) => expected(i)));
      expect(all[4]).toEqual({
        sequence: 5,
        source: 'pbx-1/tcp',
        receivedAt: rec(5).receivedAt,
        text: 'record X',
        truncated: false,
        damage: `journal bytes damaged on disk (checksum mismatch): ${sizes[4]} bytes at ${segment} offset ${at}, sequence 5; copied to ${segment}.${at}.corrupt`,
      });
      expect(readFileSync(join(dir, `${segment}.${at}.corrupt`)).subarray(-8).toString('latin1')).toBe('record X');
      // Committing past it works like any record.
      await j.commit(5);
      expect((await j.readBatch(5, 100)).map((r) => r.sequence)).toEqual([6, 7, 8, 9, 10]);
    });

    it('a damaged length field loses the fields but not the place: the marker stands for that sequence', async () => {
      const { path, sizes, segment } = await tenEntries();
      const at = offsetOf(sizes, 4);
      damage(path, at + 8, Buffer.from([0xff, 0xff, 0x00, 0x00]));
      const j = await openJournal();
      const all = await readAll(j);
      expect(all.map((r) => r.sequence)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(all[4]).toMatchObject({ sequence: 5, source: '', text: '', receivedAt: 0 });
      expect(all[4]!.damage).toBe(`journal bytes damaged on disk (the entry runs past the end of the segment): ${sizes[4]} bytes at ${segment} offset ${at}, sequence 5; copied to ${segment}.${at}.corrupt`);
      expect(all.slice(5)).toEqual([6, 7, 8, 9, 10].map((i) => expected(i)));
    });

    it('damage spanning two records comes back as one marker naming both sequences', async () => {
      const { path, sizes, segment } = await tenEntries();
      const at = offsetOf(sizes, 3) + 2;
      damage(path, at, Buffer.alloc(sizes[3]!, 0)); // from inside record 4 into record 5
      const j = await openJournal();
      const all = await readAll(j);
      expect(all.map((r) => r.sequence)).toEqual([1, 2, 3, 4, 6, 7, 8, 9, 10]);
      const start = offsetOf(sizes, 3);
      expect(all[3]!.damage).toBe(
        `journal bytes damaged on disk (no entry marker): ${sizes[3]! + sizes[4]!} bytes at ${segment} offset ${start}, sequences 4–5; copied to ${segment}.${start}.corrupt`,
      );
      expect(corruptFiles()).toEqual([`${segment}.${start}.corrupt`]);
    });
  });

  it('a sealed segment cut short reports its missing records as damaged, up to the next segment', async () => {
    const one = encodeEntry(1, rec(1)).length;
    const segmentBytes = SEGMENT_HEADER.length + one * 10;
    const j = await openJournal({ segmentBytes });
    for (let i = 1; i <= 25; i++) await j.append(rec(i));
    await j.close();
    const [first, second] = segmentsIn();
    const nextFirst = Number(second!.slice(0, 20));
    const path = join(dir, first!);
    const size = statSync(path).size;
    truncateSync(path, size - 3); // the last record of the first segment loses its end

    const j2 = await openJournal({ segmentBytes });
    const all = await readAll(j2);
    expect(all.map((r) => r.sequence)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1));
    const lost = nextFirst - 1;
    expect(all.filter((r) => r.damage).map((r) => [r.sequence, r.damage])).toEqual([
      [lost, `journal bytes damaged on disk (the entry runs past the end of the segment): ${one - 3} bytes at ${first} offset ${size - one}, sequence ${lost}; copied to ${first}.${size - one}.corrupt`],
    ]);
    expect(all.filter((r) => !r.damage)).toEqual(Array.from({ length: 25 }, (_, i) => i + 1).filter((i) => i !== lost).map((i) => expected(i)));
  });

  it('rolls segments over at segmentBytes and deletes the ones wholly committed', async () => {
    const one = encodeEntry(1, rec(1)).length;
    const segmentBytes = SEGMENT_HEADER.length + one * 10; // about ten records a segment
    const j = await openJournal({ segmentBytes });
    for (let i = 1; i <= 100; i++) await j.append(rec(i));
    const names = segmentsIn();
    expect(names.length).toBeGreaterThanOrEqual(10);
    expect(names[0]).toBe('00000000000000000001.seg');
    for (const n of names) expect(statSync(join(dir, n)).size).toBeLessThanOrEqual(segmentBytes);
    expect(await readAll(j)).toEqual(Array.from({ length: 100 }, (_, i) => expected(i + 1)));

    await j.commit(50);
    const left = segmentsIn();
    const firstLeft = Number(left[0]!.slice(0, 20));
    const secondLeft = Number(left[1]!.slice(0, 20));
    expect(firstLeft).toBeLessThanOrEqual(51);
    expect(secondLeft).toBeGreaterThan(51); // the segment holding 51 is the oldest kept
    expect(JSON.parse(readFileSync(join(dir, 'checkpoint.json'), 'utf8'))).toEqual({ committed: 50 });
    expect(await j.readBatch(50, 1000)).toEqual(Array.from({ length: 50 }, (_, i) => expected(51 + i)));

    await j.commit(100);
    expect(segmentsIn()).toEqual([names.at(-1)]); // the segment appended to stays
    const j2 = await reopen(j, { segmentBytes });
    expect(await j2.readBatch(j2.committedSequence, 10)).toEqual([]);
    expect(await j2.append(rec(101))).toBe(101);
  });

  it('keeps the newest committed segments when asked to', async () => {
    const one = encodeEntry(1, rec(1)).length;
    const segmentBytes = SEGMENT_HEADER.length + one * 10;
    const j = await openJournal({ segmentBytes, keepCommittedSegments: 2 });
    for (let i = 1; i <= 100; i++) await j.append(rec(i));
    const names = segmentsIn();
    await j.commit(100);
    expect(segmentsIn()).toEqual(names.slice(-3));
  });

  it('reports the backlog: records, bytes and the oldest pending record', async () => {
    const j = await openJournal();
    expect(await j.backlog()).toEqual({ records: 0, bytes: 0, oldestReceivedAt: null });
    await appendN(j, 1, 20);
    await j.commit(5);
    const bytes = Array.from({ length: 15 }, (_, i) => encodeEntry(6 + i, rec(6 + i)).length).reduce((a, b) => a + b, 0);
    expect(await j.backlog()).toEqual({ records: 15, bytes, oldestReceivedAt: rec(6).receivedAt });
    await j.commit(20);
    expect(await j.backlog()).toEqual({ records: 0, bytes: 0, oldestReceivedAt: null });
  });

  it('refuses to commit what is not written yet', async () => {
    const j = await openJournal();
    await appendN(j, 1, 3);
    await expect(j.commit(4)).rejects.toThrow(/cannot commit 4, records are written through 3/);
  });

  it('wakes a waiter as soon as a record is written', async () => {
    const j = await openJournal();
    let woke = false;
    const waiting = j.waitForAppend(0).then(() => (woke = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(woke).toBe(false);
    await j.append(rec(1));
    await waiting;
    expect(woke).toBe(true);
  });

  it('reads a big backlog one bounded batch at a time', async () => {
    const j = await openJournal({ fsync: { intervalMs: 100 }, segmentBytes: 256 * 1024 });
    const n = 20_000;
    const pending: Promise<number>[] = [];
    for (let i = 1; i <= n; i++) pending.push(j.append(rec(i)));
    await Promise.all(pending);
    let after = 0;
    let batches = 0;
    for (;;) {
      const batch = await j.readBatch(after, 1000);
      if (batch.length === 0) break;
      expect(batch.length).toBeLessThanOrEqual(1000);
      expect(batch[0]!.sequence).toBe(after + 1);
      expect(batch.at(-1)!.sequence).toBe(after + batch.length);
      after = batch.at(-1)!.sequence;
      batches++;
    }
    expect(after).toBe(n);
    expect(batches).toBe(20);
    expect(existsSync(join(dir, 'checkpoint.json'))).toBe(false);
  });
});
