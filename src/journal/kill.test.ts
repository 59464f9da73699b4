import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { childRecord } from './fixtures/child-record.js';
import { RecordJournal, type JournalRecord } from './journal.js';
import { JournalPump } from './pump.js';

// kill -9 of a collector in the middle of a 100,000-record stream: a child process appends and
// reports each acknowledged append; it is killed with SIGKILL mid-stream and the journal is opened
// again here.

const CHILD = fileURLToPath(new URL('./fixtures/append-child.ts', import.meta.url));
const TOTAL = 100_000;
const KILL_AFTER = 15_000;

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'calltrail-journal-kill-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

interface Killed {
  /** index → sequence of every append the child acknowledged before it died. */
  acked: Map<number, number>;
  signal: NodeJS.Signals | null;
}

function runAndKill(fsync: string, storeFile?: string): Promise<Killed> {
  const journalDir = join(dir, 'journal');
  const args = ['--import', 'tsx', CHILD, journalDir, String(TOTAL), fsync, '64', ...(storeFile ? [storeFile] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CALLTRAIL_LOG_LEVEL: 'silent' } });
  const acked = new Map<number, number>();
  let rest = '';
  let stderr = '';
  let killed = false;
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop()!; // a line cut by the kill is not an acknowledgement
    for (const line of lines) {
      const [i, seq] = line.split(' ');
      if (seq !== undefined) acked.set(Number(i), Number(seq));
    }
    if (!killed && acked.size >= KILL_AFTER) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`the child was not killed (exit ${code}): ${stderr.slice(0, 2000)}`));
      else resolve({ acked, signal });
    });
  });
}

async function everything(journal: RecordJournal): Promise<JournalRecord[]> {
  const out: JournalRecord[] = [];
  for await (const r of journal.replay(0)) out.push(r);
  return out;
}

/** Every acknowledged record is in the journal once, with its content; numbering has no gap. */
async function checkAfterKill(killed: Killed): Promise<void> {
  expect(killed.signal).toBe('SIGKILL');
  expect(killed.acked.size).toBeGreaterThanOrEqual(KILL_AFTER);
  expect(killed.acked.size).toBeLessThan(TOTAL); // killed mid-stream

  const journal = await RecordJournal.open(join(dir, 'journal'));
  try {
    const records = await everything(journal);
    expect(records.filter((r) => r.damage !== undefined)).toEqual([]);
    expect(records.map((r) => r.sequence)).toEqual(Array.from({ length: records.length }, (_, k) => k + 1));
    expect(journal.lastSequence).toBe(records.length);
    const bySequence = new Map(records.map((r) => [r.sequence, r]));
    let missing = 0;
    for (const [i, seq] of killed.acked) {
      const r = bySequence.get(seq);
      if (!r) missing++;
      else expect({ sequence: r.sequence, source: r.source, receivedAt: r.receivedAt, text: r.text, truncated: r.truncated }).toEqual({ sequence: seq, ...childRecord(i), truncated: false });
    }
    expect(missing).toBe(0);
    // Records written but not yet acknowledged when the kill came may be there too, each once.
    const texts = new Set(records.map((r) => r.text));
    expect(texts.size).toBe(records.length);
    // The tail is clean: the journal takes the next record right after the last one.
    expect(await journal.append(childRecord(TOTAL))).toBe(records.length + 1);
    expect((await journal.readBatch(records.length, 10)).map((r) => r.text)).toEqual([childRecord(TOTAL).text]);
  } finally {
    await journal.close();
  }
}

describe('kill -9 in the middle of a 100,000-record stream', () => {
  it("fsync 'always': every acknowledged record is in the journal exactly once, the tail is clean", async () => {
    await checkAfterKill(await runAndKill('always'));
  }, 30_000);

  it('fsync every 100 ms: with the OS alive, every record acknowledged by write() is there too', async () => {
    await checkAfterKill(await runAndKill('100'));
  }, 30_000);

  it('with a pump storing into a file: after restart every record is stored, redelivered only above the checkpoint', async () => {
    const storeFile = join(dir, 'store.txt');
    const killed = await runAndKill('always', storeFile);
    expect(killed.signal).toBe('SIGKILL');
    expect(existsSync(storeFile)).toBe(true);
    const storedBefore = readFileSync(storeFile, 'utf8').split('\n').filter((l) => l !== '').length;

    const journal = await RecordJournal.open(join(dir, 'journal'));
    const checkpoint = journal.committedSequence;
    const redelivered: number[] = [];
    const stored = new Map<number, number>();
    for (const line of readFileSync(storeFile, 'utf8').split('\n')) {
      const [seq, i] = line.split(' ');
      if (i !== undefined) stored.set(Number(seq), Number(i));
    }
    const pump = new JournalPump(journal, async (batch) => {
      for (const r of batch) {
        if (stored.has(r.sequence)) redelivered.push(r.sequence);
        stored.set(r.sequence, Number(r.text.split(' ')[1]));
      }
    }).start();
    const last = journal.lastSequence;
    await pump.whenDelivered(last);
    await pump.stop();
    await journal.close();

    expect(storedBefore).toBeGreaterThan(0);
    expect(last).toBeGreaterThanOrEqual(killed.acked.size);
    // Stored once each (keyed by sequence, as the store's dedupe key would), nothing missing.
    expect([...stored.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: last }, (_, k) => k + 1));
    for (const [i, seq] of killed.acked) expect(stored.get(seq)).toBe(i);
    // Only what the checkpoint did not cover yet is handed again.
    expect(redelivered.every((seq) => seq > checkpoint)).toBe(true);
  }, 30_000);
});
