import { copyFile, mkdir, open, readdir, readFile, rename, stat, unlink, type FileHandle } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import { z } from 'zod';
import { logger } from '../core/log.js';
import { createFramer, DEFAULT_MAX_RECORD_BYTES, type FramedRecord, type Framer, type Framing } from '../framing/framer.js';
import { Backoff, errorText, newStatus, pause, type ReceivedRecord, type ReceiveSink, type Transport, type TransportStatus } from './transport.js';

// Follows a CDR file like `tail -F` (Asterisk Master.csv, FreeSWITCH cdr.log), or reads the flat
// files that arrive in a drop directory (CUCM). What has been read is kept in a state file as
// offset + inode, but only up to the last record the sink acknowledged: after a crash reading resumes
// at the first unacknowledged record. Records are cut at byte positions (a line end, an ETX), so
// every record has an exact end offset; the shared framer still decides what a record is.

const log = logger('transport.file-tail');

export type DoneAction = 'keep' | 'delete' | { moveTo: string };

export interface FileTailOptions {
  /** The file to follow (mode "file"), or the directory to watch (mode "directory"). */
  path: string;
  framing: Framing;
  maxRecordBytes?: number;
  /** Where the offset and inode are kept (JSON, replaced atomically). */
  stateFile: string;
  /** Default 500 ms. */
  pollMs?: number;
  mode: 'file' | 'directory';
  /** Directory mode: the names to read, "*" and "?" as in a shell ("*.csv", "cdr_*"). Absent: every file not starting with ".". */
  pattern?: string;
  /** First run (no state file): read what is already there. false: only what comes after. Default true. */
  fromStart?: boolean;
  /** Directory mode: what happens to a file once all its records are acknowledged. A relative moveTo is inside the directory. Default "keep". */
  doneAction?: DoneAction;
  /** The state is saved at most every ~200 ms, or after this many acknowledged records. Default 1000. */
  saveEveryRecords?: number;
  /**
   * For a sink that takes records before they are durable (the journal's appends in flight):
   * resolves once every record handed on so far is. Awaited before each state save, so the saved
   * offset never passes a record that a crash could still lose.
   */
  durable?: () => Promise<void>;
  /** Directory mode: a flat file's records were all acknowledged (before its doneAction). `peer` as in its records. */
  onFileDone?: (peer: string) => void;
}

export interface FileTailTransport extends Transport {
  /** Resolves after the first poll (the file opened or found missing, the directory listed). For tests. */
  ready(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// The state file

const fileStateSchema = z.object({
  path: z.string(),
  dev: z.string(),
  inode: z.string(),
  /** The end of the last acknowledged record. */
  offset: z.number().int().min(0),
  /** How far the file had been read (informational). */
  size: z.number().int().min(0).optional(),
  /** Lines (records for STX/ETX and fixed framing) before `offset`. */
  line: z.number().int().min(0).default(0),
  /** The last bytes before `offset` (base64, up to 64): tells the same file from another that got its inode. */
  tail: z.string().optional(),
});
const doneSchema = z.object({ name: z.string(), dev: z.string(), inode: z.string(), size: z.number().int().min(0), line: z.number().int().min(0).default(0) });
const stateSchema = z.object({
  version: z.literal(1),
  mode: z.enum(['file', 'directory']),
  /** The file being read. */
  file: fileStateSchema.nullable(),
  /** Directory mode: files read to their end. */
  done: z.array(doneSchema).default([]),
});

export type TailFileState = z.infer<typeof fileStateSchema>;
export type TailState = z.infer<typeof stateSchema>;

interface Identity {
  dev: string;
  inode: string;
}

const sameFile = (a: Identity, b: Identity): boolean => a.dev === b.dev && a.inode === b.inode;

interface Found extends Identity {
  size: number;
  mtimeNs: string;
}

/** null when the path does not exist. */
async function statPath(path: string): Promise<Found | null> {
  try {
    const st = await stat(path, { bigint: true });
    return { dev: String(st.dev), inode: String(st.ino), size: Number(st.size), mtimeNs: String(st.mtimeNs) };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

/** The bytes before `offset` are still those saved: the same file, not another that got its inode. */
async function sameContent(path: string, offset: number, tail: string | undefined): Promise<boolean> {
  if (!tail || offset === 0) return true;
  const want = Buffer.from(tail, 'base64');
  if (want.length > offset) return false;
  const fh = await open(path, 'r');
  try {
    const got = Buffer.alloc(want.length);
    const { bytesRead } = await fh.read(got, 0, want.length, offset - want.length);
    return bytesRead === want.length && got.equals(want);
  } finally {
    await fh.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Reading one file

const LF = 0x0a;
const CR = 0x0d;
const STX = 0x02;
const ETX = 0x03;
const CHUNK = 64 * 1024;
const EMPTY = Buffer.alloc(0);
const SEEN = 64;

interface ReaderContext {
  framing: Framing;
  maxRecordBytes: number;
  status: TransportStatus;
  stopped(): boolean;
  /** Hands on one record; false when it was not acknowledged because the tail stopped. */
  deliver(record: ReceivedRecord): Promise<boolean>;
  /** Records up to `ackedPos` are acknowledged: the state may be saved. */
  acked(): void;
}

/** The byte index just after the first fixed-length record in data[start…], or -1 (UTF-16 units, as the framer counts). */
function fixedBoundary(data: Buffer, start: number, length: number): number {
  let units = 0;
  let i = start;
  while (i < data.length) {
    const b = data[i]!;
    let n = b < 0x80 ? 1 : b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 1;
    if (n > 1) {
      if (i + n > data.length) return -1; // the rest of the character has not arrived
      for (let k = 1; k < n; k++) if ((data[i + k]! & 0xc0) !== 0x80) n = 1; // invalid: one replacement character
    }
    units += n === 4 ? 2 : 1;
    i += n;
    if (units >= length) return i;
  }
  return -1;
}

class FileReader {
  /** The next byte to read. */
  readPos: number;
  /** The end of the bytes handed to the framer. */
  private fedPos: number;
  /** The end of the last record boundary whose records were all acknowledged: what the state keeps. */
  ackedPos: number;
  ackedLine: number;
  /** Lines (or frames, or fixed records) fed so far. */
  private lineFed: number;
  /** Line numbers of framers that count themselves (STX/ETX, fixed) start after this. */
  private readonly lineBase: number;
  private pending: Buffer = EMPTY;
  /** The last bytes read (up to SEEN), to notice a file truncated and written past where we were. */
  private seen: Buffer = EMPTY;
  /** The last bytes handed to the framer (up to SEEN), and those before ackedPos. */
  private fedTail: Buffer = EMPTY;
  private ackedTail: Buffer = EMPTY;
  /** The framer holds part of a record (an over-long one was handed on in pieces). */
  private midRecord = false;
  /** The last byte fed was a CR at the end of what had arrived: a LF right after it belongs to it. */
  private crBefore = false;
  private readonly decoder = new StringDecoder('utf8');
  private readonly framer: Framer;
  /** Existing content is being passed over (fromStart false): records are not handed on. */
  skipping = false;
  records = 0;

  constructor(
    private readonly fh: FileHandle,
    readonly path: string,
    readonly id: Identity,
    readonly peer: string,
    private readonly ctx: ReaderContext,
    offset: number,
    line: number,
    crBefore: boolean,
  ) {
    this.readPos = this.fedPos = this.ackedPos = offset;
    this.lineFed = this.ackedLine = this.lineBase = line;
    this.crBefore = crBefore;
    this.framer = createFramer(ctx.framing, ctx.maxRecordBytes);
  }

  static async open(path: string, peer: string, ctx: ReaderContext, offset: number, line: number, expect?: Identity): Promise<FileReader | null> {
    const fh = await open(path, 'r');
    try {
      const st = await fh.stat({ bigint: true });
      const id = { dev: String(st.dev), inode: String(st.ino) };
      if (expect && !sameFile(id, expect)) {
        await fh.close();
        return null; // replaced between the listing and the open
      }
      let crBefore = false;
      if (ctx.framing.kind === 'lines' && offset > 0) {
        const one = Buffer.alloc(1);
        const { bytesRead } = await fh.read(one, 0, 1, offset - 1);
        crBefore = bytesRead === 1 && one[0] === CR;
      }
      return new FileReader(fh, path, id, peer, ctx, offset, line, crBefore);
    } catch (err) {
      await fh.close().catch(() => undefined);
      throw err;
    }
  }

  snapshot(): TailFileState {
    const tail = this.ackedTail.length > 0 ? { tail: this.ackedTail.toString('base64') } : {};
    return { path: this.path, dev: this.id.dev, inode: this.id.inode, offset: this.ackedPos, size: this.readPos, line: this.ackedLine, ...tail };
  }

  /** The bytes just before the read position are no longer what was read there: truncated and written again. */
  async rewritten(): Promise<boolean> {
    const n = this.seen.length;
    if (n === 0) return false;
    const now = Buffer.alloc(n);
    const { bytesRead } = await this.fh.read(now, 0, n, this.readPos - n);
    return bytesRead !== n || !now.equals(this.seen);
  }

  async close(): Promise<void> {
    await this.fh.close().catch(() => undefined);
  }

  /** Reads and hands on what is there. 'stopped': the tail stopped before all was handed on. */
  async readAvailable(): Promise<'eof' | 'stopped'> {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (;;) {
      if (this.ctx.stopped()) return 'stopped';
      const { bytesRead } = await this.fh.read(buf, 0, CHUNK, this.readPos);
      if (bytesRead === 0) return 'eof';
      this.readPos += bytesRead;
      const got = buf.subarray(0, bytesRead);
      this.seen = Buffer.from(bytesRead >= SEEN ? got.subarray(bytesRead - SEEN) : Buffer.concat([this.seen, got]).subarray(-SEEN));
      if (!this.skipping) this.ctx.status.bytes += bytesRead;
      if (!(await this.consume(buf.subarray(0, bytesRead)))) return 'stopped';
    }
  }

  /** The writer is gone (rotated away, truncated, a finished flat file): an unterminated last record is handed on. */
  async finish(): Promise<boolean> {
    const rest = this.pending;
    this.pending = EMPTY;
    const text = this.decoder.write(rest) + this.decoder.end();
    const framed = [...this.framer.push(text), ...this.framer.end()];
    const lineAtStart = this.lineFed;
    if (rest.length > 0 || this.midRecord) this.lineFed += this.count(rest, true);
    this.fedPos += rest.length;
    this.noteFed(rest);
    if (!(await this.handOn(framed, lineAtStart))) return false;
    this.boundaryAcked();
    return true;
  }

  private async consume(bytes: Buffer): Promise<boolean> {
    const data = this.pending.length > 0 ? Buffer.concat([this.pending, bytes]) : bytes;
    this.pending = EMPTY;
    let start = 0;
    if (this.crBefore && data.length > 0) {
      this.crBefore = false;
      if (data[0] === LF) {
        start = 1;
        this.fedPos++;
        this.noteFed(data.subarray(0, 1));
        if (!this.midRecord) this.boundaryAcked();
      }
    }
    for (;;) {
      const end = this.boundary(data, start);
      if (end < 0) break;
      if (!(await this.feed(data.subarray(start, end), true))) return false;
      start = end;
    }
    const rest = data.subarray(start);
    if (rest.length > this.ctx.maxRecordBytes) {
      // No end in sight: the framer takes it now (it keeps the head and reports it truncated), so
      // memory stays bounded. The saved offset stays at the record's start until its end arrives.
      if (!(await this.feed(rest, false))) return false;
    } else {
      this.pending = Buffer.from(rest); // a copy: `bytes` is the reused read buffer
    }
    return true;
  }

  /** The index just after the next record boundary in data[start…], or -1. */
  private boundary(data: Buffer, start: number): number {
    switch (this.ctx.framing.kind) {
      case 'lines':
        for (let i = start; i < data.length; i++) {
          const c = data[i];
          if (c === LF) return i + 1;
          if (c === CR) {
            if (i + 1 < data.length) return data[i + 1] === LF ? i + 2 : i + 1;
            this.crBefore = true;
            return i + 1;
          }
        }
        return -1;
      case 'stx-etx': {
        const i = data.indexOf(ETX, start);
        return i < 0 ? -1 : i + 1;
      }
      case 'fixed':
        return fixedBoundary(data, start, this.ctx.framing.length);
    }
  }

  /** Lines (frames, fixed records) a piece of input adds to the count. */
  private count(piece: Buffer, complete: boolean): number {
    if (this.ctx.framing.kind === 'stx-etx') {
      let n = 0;
      for (let i = piece.indexOf(STX); i >= 0; i = piece.indexOf(STX, i + 1)) n++;
      return n;
    }
    return complete ? 1 : 0;
  }

  private async feed(piece: Buffer, complete: boolean): Promise<boolean> {
    const framed = this.framer.push(this.decoder.write(piece));
    const lineAtStart = this.lineFed;
    this.lineFed += this.count(piece, complete);
    this.fedPos += piece.length;
    this.noteFed(piece);
    if (!(await this.handOn(framed, lineAtStart))) return false;
    if (complete) this.boundaryAcked();
    else this.midRecord = true;
    return true;
  }

  private async handOn(framed: FramedRecord[], lineAtStart: number): Promise<boolean> {
    for (const f of framed) {
      if (this.skipping) continue;
      if (this.ctx.stopped()) return false;
      const line = this.ctx.framing.kind === 'lines' ? lineAtStart + 1 : this.lineBase + f.line;
      this.records++;
      if (!(await this.ctx.deliver({ text: f.text, truncated: f.truncated === true, peer: this.peer, line }))) return false;
    }
    return true;
  }

  private noteFed(bytes: Buffer): void {
    if (bytes.length === 0) return;
    this.fedTail = Buffer.from(bytes.length >= SEEN ? bytes.subarray(bytes.length - SEEN) : Buffer.concat([this.fedTail, bytes]).subarray(-SEEN));
  }

  private boundaryAcked(): void {
    this.ackedTail = this.fedTail;
    this.midRecord = false;
    this.ackedPos = this.fedPos;
    this.ackedLine = this.lineFed;
    if (!this.skipping) this.ctx.acked();
  }
}

// ---------------------------------------------------------------------------------------------
// The transport

function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

/** Starts following at once; never throws for a missing or unreadable file: it logs once and retries each poll. */
export function startFileTail(options: FileTailOptions, sink: ReceiveSink): FileTailTransport {
  const status = newStatus();
  const stopping = new AbortController();
  const signal = stopping.signal;
  const pollMs = options.pollMs ?? 500;
  const saveEvery = options.saveEveryRecords ?? 1000;
  const stateFile = resolve(options.stateFile);
  const target = resolve(options.path);

  let readyResolve: () => void = () => {};
  const readyPromise = new Promise<void>((r) => (readyResolve = r));

  // One log line per problem, not one per poll.
  let problemKey: string | null = null;
  const problem = (key: string, message: string, err?: unknown): void => {
    status.lastError = message;
    if (problemKey === key) return;
    problemKey = key;
    log.warn({ path: target, ...(err ? { err: errorText(err) } : {}) }, message);
  };
  const clearProblem = (): void => {
    if (problemKey === null) return;
    log.info({ path: target }, 'the problem is over');
    problemKey = null;
  };

  // What the state file keeps; `reader` is the open file.
  let reader: FileReader | null = null;
  let lastFile: TailFileState | null = null;
  let done: TailState['done'] = [];
  const currentState = (): TailState => ({ version: 1, mode: options.mode, file: reader ? reader.snapshot() : lastFile, done });

  let dirty = false;
  let unsaved = 0;
  let saveTimer: NodeJS.Timeout | null = null;
  let saving: Promise<void> = Promise.resolve();
  const writeState = async (): Promise<void> => {
    if (!dirty) return;
    dirty = false;
    unsaved = 0;
    const text = `${JSON.stringify(currentState())}\n`;
    const tmp = `${stateFile}.tmp`;
    try {
      if (options.durable) await options.durable();
      await mkdir(dirname(stateFile), { recursive: true });
      const fh = await open(tmp, 'w');
      try {
        await fh.writeFile(text);
        await fh.datasync();
      } finally {
        await fh.close();
      }
      await rename(tmp, stateFile);
    } catch (err) {
      dirty = true;
      problem('state', `cannot save the read position to ${stateFile}: ${errorText(err)}`, err);
      if (!signal.aborted && !saveTimer) saveTimer = setTimeout(() => void save(), 1000);
    }
  };
  const save = (): Promise<void> => {
    if (saveTimer) clearTimeout(saveTimer);
    saveTimer = null;
    saving = saving.then(writeState);
    return saving;
  };
  const changed = (): void => {
    dirty = true;
    unsaved++;
    if (unsaved >= saveEvery) void save();
    else if (!saveTimer) saveTimer = setTimeout(() => void save(), 200);
  };

  const deliver = async (record: ReceivedRecord): Promise<boolean> => {
    status.records++;
    status.lastRecordAt = new Date().toISOString();
    if (record.truncated) log.warn({ peer: record.peer, line: record.line, kept: record.text.length }, 'record longer than maxRecordBytes: truncated');
    let backoff: Backoff | null = null;
    for (;;) {
      try {
        const wait = sink(record);
        if (wait) await wait;
        return true;
      } catch (err) {
        // Not acknowledged: the same record is offered again, so nothing is lost.
        status.lastError = `sink failed on line ${record.line} of ${record.peer}: ${errorText(err)}`;
        log.error({ err, peer: record.peer, line: record.line }, 'the record could not be handed on; retrying');
        if (signal.aborted) return false;
        backoff ??= new Backoff({ initialMs: Math.max(10, pollMs), maxMs: 30_000 });
        await pause(backoff.next(), signal);
        if (signal.aborted) return false;
      }
    }
  };

  const ctx: ReaderContext = {
    framing: options.framing,
    maxRecordBytes: options.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES,
    status,
    stopped: () => signal.aborted,
    deliver,
    acked: changed,
  };

  const setReader = (r: FileReader | null): void => {
    if (reader && reader !== r) lastFile = reader.snapshot();
    reader = r;
    status.connected = r !== null;
    status.connections = r ? 1 : 0;
    if (r) changed();
  };

  const loadState = async (): Promise<TailState | null> => {
    let text: string;
    try {
      text = await readFile(stateFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      problem('state-read', `cannot read the saved read position ${stateFile}: ${errorText(err)}; starting as on a first run`, err);
      return null;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      json = err;
    }
    const parsed = stateSchema.safeParse(json);
    if (!parsed.success) {
      problem('state-read', `the saved read position ${stateFile} is not valid (${parsed.error.issues[0]?.message ?? 'not JSON'}); starting as on a first run`);
      return null;
    }
    if (parsed.data.mode !== options.mode) {
      problem('state-read', `the saved read position ${stateFile} belongs to a ${parsed.data.mode} source, not this ${options.mode} source; starting as on a first run`);
      return null;
    }
    return parsed.data;
  };

  // --- file mode --------------------------------------------------------------------------

  const peer = `file:${options.path}`;
  /** The first file opened on a first run (no state) may start after what is there. */
  let firstRun = false;
  /** The inode of the new file at the path while the old one is still read. */
  let rotatedTo: string | null = null;

  /** Reads a file the path no longer names (rotated) from `offset` to its end, tail included. */
  const finishFile = async (r: FileReader): Promise<boolean> => {
    if ((await r.readAvailable()) === 'stopped') return false;
    return r.finish();
  };

  /** After a restart: the file read before is finished first if it was rotated away meanwhile. */
  const resumeFile = async (saved: TailFileState): Promise<void> => {
    const now = await statPath(target);
    if (now && sameFile(now, saved)) {
      const same = now.size >= saved.offset && (await sameContent(target, saved.offset, saved.tail));
      const offset = same ? saved.offset : 0;
      if (!same) {
        log.warn({ path: target, size: now.size, offset: saved.offset }, 'the file is not what was read before (truncated, or another file with its inode); reading it from the start');
        status.reconnects++;
      }
      setReader(await FileReader.open(target, peer, ctx, offset, offset === 0 ? 0 : saved.line));
      return;
    }
    status.reconnects++;
    const dir = dirname(target);
    let rotated: string | null = null;
    for (const name of await readdir(dir).catch(() => [] as string[])) {
      const found = await statPath(join(dir, name)).catch(() => null);
      if (found && sameFile(found, saved) && found.size >= saved.offset && (await sameContent(join(dir, name), saved.offset, saved.tail).catch(() => false))) {
        rotated = join(dir, name);
        break;
      }
    }
    if (!rotated) {
      log.warn({ path: target, inode: saved.inode, offset: saved.offset }, 'the file read before is gone (rotated away or deleted while stopped); reading the file at the path from the start');
      lastFile = null;
      return;
    }
    log.info({ path: target, rotated, offset: saved.offset }, 'rotated while stopped: finishing the old file first');
    const old = await FileReader.open(rotated, peer, ctx, saved.offset, saved.line, saved);
    if (!old) return;
    setReader(old);
    if (!(await finishFile(old))) return;
    await old.close();
    setReader(null);
    lastFile = null;
    changed();
  };

  const openAtPath = async (): Promise<void> => {
    const r = await FileReader.open(target, peer, ctx, 0, 0);
    if (!r) return;
    if (firstRun && options.fromStart === false) {
      r.skipping = true; // pass over what is there; a last line without its end yet is kept
      await r.readAvailable();
      r.skipping = false;
    }
    firstRun = false;
    setReader(r);
    log.info({ path: target, inode: r.id.inode, offset: r.ackedPos }, 'following');
  };

  const pollFile = async (): Promise<void> => {
    let now: Found | null;
    try {
      now = await statPath(target);
    } catch (err) {
      return problem('stat', `cannot look at ${target}: ${errorText(err)}`, err);
    }
    if (!reader) {
      if (!now) return problem('missing', `${target} does not exist (yet); waiting for it`);
      await openAtPath();
    } else if (now && !sameFile(now, reader.id)) {
      // Rotated (renamed away, or deleted and made again). The old file is read to its end first, and
      // kept while the writer may still be on it: logrotate makes the new file before the PBX reopens.
      const old = reader;
      const before = old.readPos;
      if ((await old.readAvailable()) === 'stopped') return;
      const firstSight = rotatedTo !== now.inode;
      rotatedTo = now.inode;
      if (firstSight || old.readPos > before || now.size === 0) return;
      if (!(await old.finish())) return;
      await old.close();
      rotatedTo = null;
      status.reconnects++;
      log.info({ path: target, records: old.records, oldInode: old.id.inode, inode: now.inode }, 'rotated: now reading the new file');
      setReader(null);
      await openAtPath();
    } else if (now && (now.size < reader.readPos || (now.size > reader.readPos && (await reader.rewritten())))) {
      // copytruncate: the same file, cut short. What was held of an unfinished line is handed on.
      log.warn({ path: target, size: now.size, offset: reader.readPos }, `${target} was truncated (copytruncate?): ${reader.readPos} bytes had been read, it now holds ${now.size}; reading it again from the start`);
      const old = reader;
      if (!(await old.finish())) return;
      status.reconnects++;
      setReader(null);
      const r = await FileReader.open(target, peer, ctx, 0, 0);
      await old.close();
      setReader(r);
    }
    // A path that vanished (rotated, not yet made again) leaves the open file to read: the writer may still append.
    clearProblem();
    if (reader) await reader.readAvailable();
  };

  const runFile = async (): Promise<void> => {
    const saved = await loadState();
    firstRun = saved === null;
    if (saved?.file) {
      lastFile = saved.file;
      try {
        await resumeFile(saved.file);
      } catch (err) {
        problem('resume', `cannot resume ${target} where it stopped: ${errorText(err)}`, err);
      }
    }
    while (!signal.aborted) {
      try {
        await pollFile();
      } catch (err) {
        problem(`read ${errorText(err)}`, `cannot read ${target}: ${errorText(err)}`, err);
      }
      readyResolve();
      await pause(pollMs, signal);
    }
  };

  // --- directory mode ---------------------------------------------------------------------

  const pattern = options.pattern ? globToRegExp(options.pattern) : null;
  const action = options.doneAction ?? 'keep';
  const moveTo = typeof action === 'object' ? resolve(target, action.moveTo) : null;
  /** name → inode, size and mtime at the last poll: a file is read once they stay the same for a poll. */
  const seen = new Map<string, string>();

  interface Entry extends Found {
    name: string;
    path: string;
  }

  const listDirectory = async (): Promise<Entry[]> => {
    const out: Entry[] = [];
    for (const d of await readdir(target, { withFileTypes: true })) {
      const name = d.name;
      const path = join(target, name);
      if (path === stateFile || path === `${stateFile}.tmp`) continue;
      if (pattern ? !pattern.test(name) : name.startsWith('.')) continue;
      if (!d.isFile() && !d.isSymbolicLink()) continue;
      let found: Found | null;
      try {
        found = await statPath(path);
        if (found && d.isSymbolicLink() && !(await stat(path)).isFile()) found = null;
      } catch {
        found = null;
      }
      if (found) out.push({ ...found, name, path });
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  };

  const applyDone = async (e: Entry): Promise<boolean> => {
    try {
      if (action === 'delete') {
        await unlink(e.path);
      } else if (moveTo) {
        await mkdir(moveTo, { recursive: true });
        let dest = join(moveTo, e.name);
        for (let n = 1; await statPath(dest); n++) dest = join(moveTo, `${e.name}.${n}`);
        try {
          await rename(e.path, dest);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
          await copyFile(e.path, dest);
          await unlink(e.path);
        }
      } else {
        return false;
      }
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return true;
      problem(`done ${e.name}`, `${e.path} was read but cannot be ${action === 'delete' ? 'deleted' : `moved to ${moveTo}`}: ${errorText(err)}`, err);
      return false;
    }
  };

  const forget = (e: Entry): void => {
    done = done.filter((d) => !(d.name === e.name && d.inode === e.inode && d.dev === e.dev));
    changed();
  };

  /** Reads one flat file from `offset` to its end; it joins `done` once every record is acknowledged. */
  const readFlatFile = async (e: Entry, offset: number, line: number): Promise<void> => {
    const r = await FileReader.open(e.path, `file:${e.path}`, ctx, offset, line, e);
    if (!r) return;
    setReader(r);
    if (offset > 0) log.info({ file: e.path, offset }, 'resuming');
    try {
      if (!(await finishFile(r))) return; // stopped: the state keeps how far it got
      done = [...done.filter((d) => d.name !== e.name), { name: e.name, dev: e.dev, inode: e.inode, size: r.readPos, line: r.ackedLine }];
      lastFile = null;
      reader = null;
      status.connected = false;
      status.connections = 0;
      dirty = true;
      await save();
      log.info({ file: e.path, records: r.records, bytes: r.readPos - offset }, 'file read');
      options.onFileDone?.(r.peer);
    } finally {
      await r.close();
      if (reader === r) setReader(null);
    }
    if (await applyDone(e)) forget(e);
  };

  let resumeEntry: TailFileState | null = null;
  let firstPoll = true;

  const pollDirectory = async (): Promise<void> => {
    let entries: Entry[];
    try {
      entries = await listDirectory();
    } catch (err) {
      return problem('list', `cannot list the directory ${target}: ${errorText(err)}`, err);
    }
    clearProblem();
    // Finished files that are gone are forgotten; with a doneAction, one still there (a crash came
    // between) gets it now.
    const before = done.length;
    done = done.filter((d) => entries.some((e) => e.name === d.name && e.inode === d.inode && e.dev === d.dev));
    if (done.length !== before) changed();
    if (firstPoll && firstRun && options.fromStart === false) {
      done = entries.map((e) => ({ name: e.name, dev: e.dev, inode: e.inode, size: e.size, line: 0 }));
      changed();
    }
    firstPoll = false;
    if (resumeEntry) {
      const saved = resumeEntry;
      resumeEntry = null;
      const e = entries.find((x) => x.path === saved.path && sameFile(x, saved));
      if (e && e.size >= saved.offset && (await sameContent(e.path, saved.offset, saved.tail))) await readFlatFile(e, saved.offset, saved.line);
      else log.warn({ file: saved.path, offset: saved.offset }, 'the file being read when stopped is gone or shorter; not resumed');
      lastFile = null;
      changed();
    }
    const present = new Set<string>();
    for (const e of entries) {
      if (signal.aborted) return;
      present.add(e.name);
      const finished = done.find((d) => d.name === e.name && sameFile(d, e));
      if (finished && finished.size === e.size) {
        if (action !== 'keep' && (await applyDone(e))) forget(e);
        continue;
      }
      const sig = `${e.inode}:${e.size}:${e.mtimeNs}`;
      const last = seen.get(e.name);
      seen.set(e.name, sig);
      if (last !== sig) continue; // new, or still being written: wait until it stays the same for a poll
      if (finished && finished.size < e.size) {
        log.warn({ file: e.path, size: e.size, read: finished.size }, 'a file already read grew; reading what was added');
        await readFlatFile(e, finished.size, finished.line);
      } else if (finished) {
        log.warn({ file: e.path, size: e.size, read: finished.size }, 'a file already read is now shorter; reading it again');
        forget(e);
        await readFlatFile(e, 0, 0);
      } else {
        await readFlatFile(e, 0, 0);
      }
      seen.delete(e.name);
    }
    for (const name of seen.keys()) if (!present.has(name)) seen.delete(name);
  };

  const runDirectory = async (): Promise<void> => {
    const saved = await loadState();
    firstRun = saved === null;
    if (saved) {
      done = saved.done;
      resumeEntry = saved.file;
      lastFile = saved.file;
    }
    while (!signal.aborted) {
      try {
        await pollDirectory();
      } catch (err) {
        problem(`read ${errorText(err)}`, `cannot read from ${target}: ${errorText(err)}`, err);
      }
      readyResolve();
      await pause(pollMs, signal);
    }
  };

  const running = (options.mode === 'directory' ? runDirectory() : runFile())
    .catch((err: unknown) => {
      status.lastError = `file tail of ${target} failed: ${errorText(err)}`;
      log.error({ err, path: target }, 'file tail failed');
    })
    .finally(() => readyResolve());

  return {
    status: (): TransportStatus => ({ ...status }),
    ready: () => readyPromise,
    async stop() {
      stopping.abort();
      await running;
      const r = reader;
      if (r) {
        lastFile = r.snapshot();
        await r.close();
      }
      reader = null;
      status.connected = false;
      status.connections = 0;
      dirty = true;
      await save();
    },
  };
}
