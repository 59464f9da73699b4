import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Framing } from '../framing/framer.js';
import { startFileTail, type FileTailOptions, type FileTailTransport, type TailState } from './file-tail.js';
import { collect, retainedHeap, waitFor } from './test-support.js';
import type { ReceivedRecord, ReceiveSink } from './transport.js';

const lines: Framing = { kind: 'lines' };

let dir = '';
let file = '';
let stateFile = '';
const tails: FileTailTransport[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'calltrail-tail-'));
  file = join(dir, 'Master.csv');
  stateFile = join(dir, 'state', 'master.json');
});

afterEach(async () => {
  for (const t of tails.splice(0)) await t.stop();
  rmSync(dir, { recursive: true, force: true });
});

function tail(sink: ReceiveSink, options: Partial<FileTailOptions> = {}): FileTailTransport {
  const t = startFileTail({ path: file, framing: lines, stateFile, pollMs: 20, mode: 'file', ...options }, sink);
  tails.push(t);
  return t;
}

async function stopTail(t: FileTailTransport): Promise<void> {
  await t.stop();
  tails.splice(tails.indexOf(t), 1);
}

const texts = (records: ReceivedRecord[]): string[] => records.map((r) => r.text);
const state = (): TailState => JSON.parse(readFileSync(stateFile, 'utf8')) as TailState;
const numbered = (from: number, to: number, prefix = 'rec'): string[] => Array.from({ length: to - from + 1 }, (_, i) => `${prefix}-${String(from + i).padStart(4, '0')},ok`);
const asFile = (rows: string[]): string => rows.map((r) => `${r}\n`).join('');

/** A sink that acknowledges each record a few event-loop turns later (a journal write). */
function slowSink(): { records: ReceivedRecord[]; sink: ReceiveSink } {
  const records: ReceivedRecord[] = [];
  return {
    records,
    sink: (r) =>
      (async () => {
        await sleep(1);
        records.push(r);
      })(),
  };
}

describe('file tail: one file', () => {
  it('reads what is there, then what is appended, with line numbers, peer and status', async () => {
    writeFileSync(file, 'a,1\nb,2\n');
    const got = collect();
    const t = tail(got.sink);
    await waitFor('2 records', () => got.records.length === 2);
    appendFileSync(file, '\nc,3\nd,4\n');
    await waitFor('4 records', () => got.records.length === 4);
    expect(got.records).toEqual([
      { text: 'a,1', truncated: false, peer: `file:${file}`, line: 1 },
      { text: 'b,2', truncated: false, peer: `file:${file}`, line: 2 },
      { text: 'c,3', truncated: false, peer: `file:${file}`, line: 4 },
      { text: 'd,4', truncated: false, peer: `file:${file}`, line: 5 },
    ]);
    const st = t.status();
    expect(st).toMatchObject({ connected: true, connections: 1, records: 4, bytes: 17, reconnects: 0, dropped: 0, lastError: null });
    await stopTail(t);
    expect(t.status().connected).toBe(false);
    expect(state()).toMatchObject({ version: 1, mode: 'file', file: { path: file, offset: 17, line: 5 }, done: [] });
  });

  it('holds a line written in two parts until its newline arrives', async () => {
    writeFileSync(file, 'first\n');
    const got = collect();
    const t = tail(got.sink);
    await waitFor('first', () => got.records.length === 1);
    appendFileSync(file, 'sec');
    await waitFor('the part read', () => t.status().bytes === 9);
    await sleep(60); // a few polls: still nothing
    expect(got.records).toHaveLength(1);
    appendFileSync(file, 'ond,2\n');
    await waitFor('second', () => got.records.length === 2);
    expect(got.records[1]).toEqual({ text: 'second,2', truncated: false, peer: `file:${file}`, line: 2 });
    await stopTail(t);
    expect(state().file?.offset).toBe(15);
  });

  it('waits for a file that does not exist yet, and follows it once it does', async () => {
    const got = collect();
    const t = tail(got.sink);
    await t.ready();
    expect(t.status()).toMatchObject({ connected: false, records: 0 });
    expect(t.status().lastError).toBe(`${file} does not exist (yet); waiting for it`);
    writeFileSync(file, 'x,1\n');
    await waitFor('record', () => got.records.length === 1);
    expect(t.status().connected).toBe(true);
  });

  it('follows rename rotation: what the writer adds to the old file after the rename comes first, once', async () => {
    writeFileSync(file, asFile(numbered(1, 3)));
    const got = collect();
    const t = tail(got.sink);
    await waitFor('3 records', () => got.records.length === 3);
    const writer = openSync(file, 'a'); // the PBX's open file
    renameSync(file, `${file}.1`);
    writeSync(writer, asFile(numbered(4, 5)));
    await sleep(50); // polls while the path is missing: the old file is still read
    writeSync(writer, 'rec-0006,unterminated'); // the writer is closed mid-line by the rotation
    closeSync(writer);
    writeFileSync(file, asFile(numbered(7, 8)));
    await waitFor('8 records', () => got.records.length === 8);
    await sleep(60);
    expect(texts(got.records)).toEqual([...numbered(1, 5), 'rec-0006,unterminated', ...numbered(7, 8)]);
    expect(got.records.map((r) => r.line)).toEqual([1, 2, 3, 4, 5, 6, 1, 2]);
    expect(t.status().reconnects).toBe(1);
    await stopTail(t);
    expect(state().file).toMatchObject({ path: file, offset: 2 * 12, line: 2 });
  });

  it('keeps reading the old file while the new one is empty (logrotate "create" before the PBX reopens)', async () => {
    writeFileSync(file, asFile(numbered(1, 2)));
    const got = collect();
    const t = tail(got.sink);
    await waitFor('2 records', () => got.records.length === 2);
    const writer = openSync(file, 'a');
    renameSync(file, `${file}.1`);
    writeFileSync(file, '');
    await sleep(60);
    writeSync(writer, asFile(numbered(3, 4)));
    await waitFor('4 records', () => got.records.length === 4);
    closeSync(writer);
    appendFileSync(file, asFile(numbered(5, 6)));
    await waitFor('6 records', () => got.records.length === 6);
    expect(texts(got.records)).toEqual(numbered(1, 6));
    expect(got.records.map((r) => r.line)).toEqual([1, 2, 3, 4, 1, 2]);
    expect(t.status().reconnects).toBe(1);
  });

  it('follows copytruncate: a warning, then the file again from 0', async () => {
    writeFileSync(file, asFile(numbered(1, 3)));
    const got = collect();
    const t = tail(got.sink);
    await waitFor('3 records', () => got.records.length === 3);
    writeFileSync(`${file}.1`, readFileSync(file));
    truncateSync(file, 0);
    appendFileSync(file, 'rec-0004\n');
    await waitFor('4 records', () => got.records.length === 4);
    expect(texts(got.records)).toEqual([...numbered(1, 3), 'rec-0004']);
    expect(got.records[3]!.line).toBe(1);
    expect(t.status().reconnects).toBe(1);
    appendFileSync(file, 'rec-0005\n');
    await waitFor('5 records', () => got.records.length === 5);
    expect(got.records[4]).toMatchObject({ text: 'rec-0005', line: 2 });
    // Truncated and written past where we were before a poll saw it short: the bytes differ.
    writeFileSync(file, asFile(numbered(6, 9)));
    await waitFor('9 records', () => got.records.length === 9);
    await sleep(60);
    expect(texts(got.records)).toEqual([...numbered(1, 3), 'rec-0004', 'rec-0005', ...numbered(6, 9)]);
    expect(got.records.map((r) => r.line)).toEqual([1, 2, 3, 1, 2, 1, 2, 3, 4]);
    expect(t.status().reconnects).toBe(2);
  });

  it('follows a file deleted and made again', async () => {
    writeFileSync(file, 'a\nb\n');
    const got = collect();
    const t = tail(got.sink);
    await waitFor('2 records', () => got.records.length === 2);
    unlinkSync(file);
    await sleep(60);
    expect(t.status().lastError).toBeNull(); // the open file is still read until a new one comes
    writeFileSync(file, 'c\nd\n');
    await waitFor('4 records', () => got.records.length === 4);
    await sleep(60);
    expect(texts(got.records)).toEqual(['a', 'b', 'c', 'd']);
    expect(t.status().reconnects).toBe(1);
  });

  it('restarts after stop() mid-stream: nothing lost, nothing twice', async () => {
    const rows = numbered(1, 300);
    writeFileSync(file, asFile(rows));
    const first = slowSink();
    const t1 = tail(first.sink);
    await waitFor('some records', () => first.records.length >= 40);
    await stopTail(t1);
    const n = first.records.length;
    expect(n).toBeLessThan(300);
    expect(state().file?.offset).toBe(n * 12);
    const second = collect();
    tail(second.sink);
    await waitFor('the rest', () => second.records.length === 300 - n);
    await sleep(60);
    expect([...texts(first.records), ...texts(second.records)]).toEqual(rows);
    expect(second.records[0]!.line).toBe(n + 1);
  });

  it('after a crash (state older than the reading) reads again from the saved offset, nothing before', async () => {
    const rows = numbered(1, 300);
    writeFileSync(file, asFile(rows));
    const first = slowSink();
    const t1 = tail(first.sink, { saveEveryRecords: 25 });
    await waitFor('a saved offset', () => existsSync(stateFile) && (state().file?.offset ?? 0) > 0);
    const crashed = readFileSync(stateFile); // what a kill -9 would leave behind
    const savedOffset = (JSON.parse(crashed.toString()) as TailState).file!.offset;
    await waitFor('all records', () => first.records.length === 300);
    await stopTail(t1);
    writeFileSync(stateFile, crashed);
    appendFileSync(file, asFile(numbered(301, 302)));
    const again = collect();
    tail(again.sink);
    const from = savedOffset / 12;
    expect(Number.isInteger(from)).toBe(true);
    await waitFor('records after the saved offset', () => again.records.length === 302 - from);
    await sleep(60);
    expect(texts(again.records)).toEqual(numbered(from + 1, 302));
    expect(again.records[0]!.line).toBe(from + 1);
  });

  it('after a real kill -9: records after the saved offset come again, none is lost', async () => {
    const rows = numbered(1, 3000);
    writeFileSync(file, asFile(rows));
    const child = join(dir, 'child.mts');
    writeFileSync(
      child,
      [
        `import { appendFileSync } from 'node:fs';`,
        `import { startFileTail } from ${JSON.stringify(new URL('./file-tail.ts', import.meta.url).pathname)};`,
        `const [file, stateFile, out] = process.argv.slice(2);`,
        `startFileTail({ path: file, framing: { kind: 'lines' }, stateFile, mode: 'file', pollMs: 20, saveEveryRecords: 50 }, (r) => {`,
        `  appendFileSync(out, r.text + '\\n');`,
        `  return new Promise((resolve) => setImmediate(resolve));`,
        `});`,
      ].join('\n'),
    );
    const run = (out: string): ChildProcess => spawn(process.execPath, ['--import', 'tsx', child, file, stateFile, out], { cwd: process.cwd(), stdio: 'ignore', env: { ...process.env, CALLTRAIL_LOG_LEVEL: 'silent' } });
    const outLines = (out: string): string[] => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').slice(0, -1) : []);
    const exited = (p: ChildProcess): Promise<void> => new Promise((resolve) => (p.exitCode !== null || p.signalCode !== null ? resolve() : p.once('exit', () => resolve())));
    const out1 = join(dir, 'out1');
    const first = run(out1);
    await waitFor('records in the first process', () => outLines(out1).length >= 300 && existsSync(stateFile), 30_000);
    first.kill('SIGKILL');
    await exited(first);
    const took = outLines(out1);
    const saved = state().file!.offset / 12;
    expect(took.length).toBeLessThan(3000); // killed mid-stream
    expect(took).toEqual(rows.slice(0, took.length));
    expect(saved).toBeGreaterThan(0);
    expect(saved).toBeLessThanOrEqual(took.length); // never past what the sink took
    const out2 = join(dir, 'out2');
    const second = run(out2);
    try {
      await waitFor('the rest in the second process', () => outLines(out2).length >= 3000 - saved, 30_000);
    } finally {
      second.kill('SIGKILL');
      await exited(second);
    }
    expect(outLines(out2)).toEqual(rows.slice(saved));
  }, 40_000);

  it('reads from the start a file that is not the one read before although it has its inode', async () => {
    writeFileSync(file, asFile(numbered(1, 3)));
    const got = collect();
    const t1 = tail(got.sink);
    await waitFor('3 records', () => got.records.length === 3);
    await stopTail(t1);
    expect(state().file?.tail).toBe(Buffer.from(asFile(numbered(1, 3))).toString('base64'));
    writeFileSync(file, asFile(numbered(1, 5, 'new'))); // same inode, other content, longer
    const after = collect();
    const t2 = tail(after.sink);
    await waitFor('5 records', () => after.records.length === 5);
    await sleep(60);
    expect(texts(after.records)).toEqual(numbered(1, 5, 'new'));
    expect(t2.status().reconnects).toBe(1);
  });

  it('finishes the rotated file first when the rotation happened while stopped', async () => {
    writeFileSync(file, asFile(numbered(1, 3)));
    const got = collect();
    const t1 = tail(got.sink);
    await waitFor('3 records', () => got.records.length === 3);
    await stopTail(t1);
    appendFileSync(file, asFile(numbered(4, 5)));
    renameSync(file, `${file}.1`);
    writeFileSync(file, asFile(numbered(6, 7)));
    const after = collect();
    const t2 = tail(after.sink);
    await waitFor('4 records', () => after.records.length === 4);
    await sleep(60);
    expect(texts(after.records)).toEqual(numbered(4, 7));
    expect(after.records.map((r) => r.line)).toEqual([4, 5, 1, 2]);
    expect(t2.status().reconnects).toBe(1);
  });

  it('reports a 10 MB line without newline once, truncated, in bounded memory; later rows still flow', async () => {
    writeFileSync(file, 'before\n');
    const got = collect();
    const t = tail(got.sink);
    await waitFor('first', () => got.records.length === 1);
    const baseline = retainedHeap();
    const mb = Buffer.alloc(1024 * 1024, 'x');
    for (let i = 0; i < 10; i++) appendFileSync(file, mb);
    await waitFor('10 MB read', () => t.status().bytes === 7 + 10 * mb.length, 20_000);
    expect(retainedHeap() - baseline).toBeLessThan(4 * 1024 * 1024);
    expect(got.records).toHaveLength(2);
    expect(got.records[1]).toEqual({ text: 'x'.repeat(64 * 1024), truncated: true, peer: `file:${file}`, line: 2 });
    await waitFor('a save', () => existsSync(stateFile) && state().file?.offset === 7);
    appendFileSync(file, '\nafter,3\n');
    await waitFor('after', () => got.records.length === 3);
    expect(got.records[2]).toEqual({ text: 'after,3', truncated: false, peer: `file:${file}`, line: 3 });
    await stopTail(t);
    expect(state().file?.offset).toBe(7 + 10 * mb.length + 9);
  });

  it('takes CRLF and a CR|LF split across writes and restarts without an extra line', async () => {
    writeFileSync(file, 'a,1\r\nb,2\r\nc,3\r');
    const got = collect();
    const t1 = tail(got.sink);
    await waitFor('3 records', () => got.records.length === 3);
    await stopTail(t1);
    expect(state().file?.offset).toBe(14);
    appendFileSync(file, '\nd,4\r\n\r\ne,5\r\n');
    const after = collect();
    tail(after.sink);
    await waitFor('2 records', () => after.records.length === 2);
    await sleep(60);
    expect(got.records.map((r) => [r.text, r.line])).toEqual([['a,1', 1], ['b,2', 2], ['c,3', 3]]);
    expect(after.records.map((r) => [r.text, r.line])).toEqual([['d,4', 4], ['e,5', 6]]);
  });

  it('decodes UTF-8 split across read chunks and across writes', async () => {
    const long = 'a'.repeat(64 * 1024 - 1); // 'é' straddles the 64 KiB read boundary
    writeFileSync(file, `${long}é,1\n`);
    const euro = Buffer.from('€𝄞 ünï\n', 'utf8');
    const got = collect();
    tail(got.sink, { maxRecordBytes: 100_000 });
    await waitFor('first', () => got.records.length === 1);
    appendFileSync(file, euro.subarray(0, 1));
    await sleep(50);
    appendFileSync(file, euro.subarray(1, 5));
    await sleep(50);
    appendFileSync(file, euro.subarray(5));
    await waitFor('second', () => got.records.length === 2);
    expect(got.records[0]!.text).toBe(`${long}é,1`);
    expect(got.records[1]!.text).toBe('€𝄞 ünï');
  });

  it('keeps whole characters when an over-long line is cut between them', async () => {
    writeFileSync(file, `${'é'.repeat(40)}`);
    const got = collect();
    const t = tail(got.sink, { maxRecordBytes: 16 });
    await waitFor('truncated record', () => got.records.length === 1);
    expect(got.records[0]).toEqual({ text: 'é'.repeat(16), truncated: true, peer: `file:${file}`, line: 1 });
    appendFileSync(file, 'ééé\nok\n');
    await waitFor('next', () => got.records.length === 2);
    expect(got.records[1]).toMatchObject({ text: 'ok', line: 2 });
    expect(t.status().records).toBe(2);
  });

  it('starts after what is there when fromStart is false, keeping an unfinished last line', async () => {
    writeFileSync(file, 'old,1\nold,2\nnew');
    const got = collect();
    tail(got.sink, { fromStart: false });
    await waitFor('open', () => existsSync(stateFile));
    appendFileSync(file, ',3\nnew,4\n');
    await waitFor('2 records', () => got.records.length === 2);
    expect(got.records.map((r) => [r.text, r.line])).toEqual([['new,3', 3], ['new,4', 4]]);
  });

  it('offers a record again while the sink fails, and goes on once it takes it', async () => {
    writeFileSync(file, 'a\nb\n');
    const taken: string[] = [];
    let failures = 0;
    const t = tail((r) => {
      if (r.text === 'b' && failures < 2) {
        failures++;
        return Promise.reject(new Error('journal full'));
      }
      taken.push(r.text);
      return undefined;
    });
    await waitFor('both', () => taken.length === 2);
    expect(taken).toEqual(['a', 'b']);
    expect(t.status().lastError).toBe(`sink failed on line 2 of file:${file}: journal full`);
  });

  it('saves an offset only once the sink says what it took is durable', async () => {
    writeFileSync(file, 'a\nb\n');
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    let asked = 0;
    const got = collect();
    tail(got.sink, {
      durable: () => {
        asked++;
        return gate;
      },
    });
    await waitFor('2 records', () => got.records.length === 2);
    await waitFor('a save that waits', () => asked > 0);
    await sleep(50);
    expect(existsSync(stateFile)).toBe(false);
    release();
    await waitFor('saved', () => existsSync(stateFile) && state().file?.offset === 4);
  });

  it('reads STX/ETX frames and resumes between them', async () => {
    writeFileSync(file, '\u0002one\u0003\r\n\u0002two\u0003\r\n\u0002thr');
    const got = collect();
    const t1 = tail(got.sink, { framing: { kind: 'stx-etx' } });
    await waitFor('2 frames', () => got.records.length === 2);
    await stopTail(t1);
    expect(state().file?.offset).toBe(12);
    appendFileSync(file, 'ee\u0003');
    const after = collect();
    tail(after.sink, { framing: { kind: 'stx-etx' } });
    await waitFor('third', () => after.records.length === 1);
    expect(got.records.map((r) => [r.text, r.line])).toEqual([['one', 1], ['two', 2]]);
    expect(after.records.map((r) => [r.text, r.line])).toEqual([['three', 3]]);
  });

  it('starts as on a first run when the state file is not valid, and says so', async () => {
    writeFileSync(file, 'a\n');
    mkdirSync(join(dir, 'state'));
    writeFileSync(stateFile, '{"version":1,"mode":"file","file":{"path":"x","dev":"1","inode":"2","offset":-5}}');
    const got = collect();
    const t = tail(got.sink);
    await waitFor('record', () => got.records.length === 1);
    expect(t.status().lastError).toMatch(/^the saved read position .*master\.json is not valid \(.*\); starting as on a first run$/);
  });
});

describe('file tail: drop directory', () => {
  it('reads three flat files once each, waits for one written slowly, moves them when done', async () => {
    const drop = join(dir, 'cdr');
    mkdirSync(drop);
    writeFileSync(join(drop, 'cdr_001.csv'), 'a-1\na-2\n');
    writeFileSync(join(drop, 'ignored.txt'), 'not a CDR\n');
    const got = collect();
    const finished: string[] = [];
    const options: Partial<FileTailOptions> = {
      path: drop,
      mode: 'directory',
      pattern: 'cdr_*.csv',
      doneAction: { moveTo: 'done' },
      pollMs: 100,
      onFileDone: (peer) => finished.push(peer),
    };
    const t1 = tail(got.sink, options);
    await waitFor('a', () => got.records.length === 2);
    // The slow writer: pauses much shorter than the poll interval; lines are cut mid-way.
    const slow = join(drop, 'cdr_002.csv');
    writeFileSync(slow, '');
    for (let i = 1; i <= 10; i++) {
      appendFileSync(slow, `b-${i}`);
      await sleep(5);
      appendFileSync(slow, `,x\n`);
      await sleep(5);
    }
    writeFileSync(join(drop, 'cdr_003.csv'), 'c-1\nc-2 without newline');
    await waitFor('all', () => got.records.length === 2 + 10 + 2);
    await waitFor('moved', () => readdirSync(drop).length === 2); // done/ and ignored.txt
    await sleep(250);
    expect(texts(got.records)).toEqual(['a-1', 'a-2', ...Array.from({ length: 10 }, (_, i) => `b-${i + 1},x`), 'c-1', 'c-2 without newline']);
    expect(got.records.map((r) => r.peer)).toEqual([
      ...Array(2).fill(`file:${join(drop, 'cdr_001.csv')}`),
      ...Array(10).fill(`file:${join(drop, 'cdr_002.csv')}`),
      ...Array(2).fill(`file:${join(drop, 'cdr_003.csv')}`),
    ]);
    expect(got.records.slice(2, 12).map((r) => r.line)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(readdirSync(join(drop, 'done')).sort()).toEqual(['cdr_001.csv', 'cdr_002.csv', 'cdr_003.csv']);
    expect(readdirSync(drop).sort()).toEqual(['done', 'ignored.txt']);
    expect(finished).toEqual(['cdr_001.csv', 'cdr_002.csv', 'cdr_003.csv'].map((n) => `file:${join(drop, n)}`));
    await stopTail(t1);
    expect(state()).toMatchObject({ mode: 'directory', file: null, done: [] });
  });

  it('remembers finished files across a restart and resumes a file stopped mid-way (keep)', async () => {
    const drop = join(dir, 'cdr');
    mkdirSync(drop);
    writeFileSync(join(drop, 'a.csv'), asFile(numbered(1, 3, 'a')));
    writeFileSync(join(drop, 'b.csv'), asFile(numbered(1, 200, 'b')));
    const options: Partial<FileTailOptions> = { path: drop, mode: 'directory', pattern: '*.csv' };
    const first = slowSink();
    const t1 = tail(first.sink, options);
    await waitFor('into b', () => first.records.length >= 40);
    await stopTail(t1);
    const n = first.records.length;
    const saved = state();
    expect(saved.done.map((d) => [d.name, d.size])).toEqual([['a.csv', 3 * 10]]);
    expect(saved.file).toMatchObject({ path: join(drop, 'b.csv'), offset: (n - 3) * 10, line: n - 3 });
    const second = collect();
    const t2 = tail(second.sink, options);
    await waitFor('the rest of b', () => second.records.length === 203 - n);
    writeFileSync(join(drop, 'c.csv'), 'c\n');
    await waitFor('c', () => second.records.length === 204 - n);
    await sleep(100);
    expect([...texts(first.records), ...texts(second.records)]).toEqual([...numbered(1, 3, 'a'), ...numbered(1, 200, 'b'), 'c']);
    expect(second.records[0]!.line).toBe(n - 2);
    await stopTail(t2);
    expect(state().done.map((d) => d.name)).toEqual(['a.csv', 'b.csv', 'c.csv']);
    expect(readdirSync(drop).sort()).toEqual(['a.csv', 'b.csv', 'c.csv']);
  });

  it('deletes files once read, and a file read before a crash but not yet deleted is deleted without reading it again', async () => {
    const drop = join(dir, 'cdr');
    mkdirSync(drop);
    writeFileSync(join(drop, 'old.csv'), 'old\n');
    const st = statSync(join(drop, 'old.csv'), { bigint: true });
    mkdirSync(join(dir, 'state'));
    const crashed: TailState = { version: 1, mode: 'directory', file: null, done: [{ name: 'old.csv', dev: String(st.dev), inode: String(st.ino), size: 4, line: 1 }] };
    writeFileSync(stateFile, JSON.stringify(crashed));
    writeFileSync(join(drop, 'new.csv'), 'new,1\nnew,2\n');
    const got = collect();
    tail(got.sink, { path: drop, mode: 'directory', doneAction: 'delete' });
    await waitFor('both gone', () => readdirSync(drop).length === 0);
    await sleep(60);
    expect(texts(got.records)).toEqual(['new,1', 'new,2']);
  });
});
