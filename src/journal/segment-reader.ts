import type { FileHandle } from 'node:fs/promises';
import { decodeEntry, decodePayload, ENTRY_HEADER_BYTES, type JournalRecord } from './codec.js';

// Walks the entries of one segment file through a bounded window (1 MiB, more only for an entry
// larger than that), so reading a backlog of any size holds one window in memory.

const WINDOW_BYTES = 1024 * 1024;
const MAGIC_BYTES = Buffer.from([0x43, 0x54, 0x4a, 0x4c]);

export type SegmentItem =
  | { kind: 'entry'; record: JournalRecord; at: number; size: number }
  /**
   * Bytes from `at` to `end` that are no entry: damage, or a torn tail. `next` is the first good
   * entry after them, absent when none follows in the segment. `partial` is what could be read of
   * a damaged entry whose length was intact.
   */
  | { kind: 'damage'; at: number; end: number; reason: string; partial: JournalRecord | null };

export class SegmentReader {
  /** The window's memory; `buf` is the part of it holding file bytes from `bufStart`. */
  private store = Buffer.alloc(0);
  private buf = Buffer.alloc(0);
  private bufStart = 0;

  constructor(
    private readonly handle: FileHandle,
    /** File offset where the segment's written bytes end (raised as the active segment grows). */
    public end: number,
  ) {}

  /** Makes the window hold [at, at + bytes) or up to the end; returns the bytes available from `at`. */
  private async window(at: number, bytes: number): Promise<number> {
    const want = Math.min(bytes, this.end - at);
    if (at >= this.bufStart && at + want <= this.bufStart + this.buf.length) return this.bufStart + this.buf.length - at;
    const size = Math.min(Math.max(want, WINDOW_BYTES), this.end - at);
    if (this.store.length < size || (this.store.length > WINDOW_BYTES && size <= WINDOW_BYTES)) this.store = Buffer.allocUnsafe(Math.max(size, WINDOW_BYTES));
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await this.handle.read(this.store, filled, size - filled, at + filled);
      if (bytesRead === 0) break; // the file is shorter than we were told: what is missing is a torn tail
      filled += bytesRead;
    }
    this.bufStart = at;
    this.buf = this.store.subarray(0, filled);
    return filled;
  }

  /** Reads bytes [at, end) as one buffer (for copying damaged bytes aside). */
  async bytes(at: number, end: number): Promise<Buffer> {
    const out = Buffer.allocUnsafe(end - at);
    let filled = 0;
    while (filled < out.length) {
      const { bytesRead } = await this.handle.read(out, filled, out.length - filled, at + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return out.subarray(0, filled);
  }

  /** The item at `at`. `after` is the sequence of the last good entry before it. */
  async itemAt(at: number, after: number): Promise<SegmentItem> {
    const decoded = await this.decodeAt(at);
    if (decoded.kind === 'entry') return { kind: 'entry', record: decoded.record, at, size: decoded.size };
    const next = await this.findNext(at + 1, after);
    return { kind: 'damage', at, end: next, reason: decoded.reason, partial: await this.partialAt(at) };
  }

  private async decodeAt(at: number): Promise<{ kind: 'entry'; record: JournalRecord; size: number } | { kind: 'bad'; reason: string }> {
    let available = await this.window(at, ENTRY_HEADER_BYTES);
    for (;;) {
      const d = decodeEntry(this.buf, at - this.bufStart);
      if (d.kind === 'entry') return d;
      if (d.kind === 'bad') return d;
      if (at + available >= this.end) return { kind: 'bad', reason: 'the entry runs past the end of the segment' };
      available = await this.window(at, d.need);
      if (available < d.need) return { kind: 'bad', reason: 'the entry runs past the end of the segment' };
    }
  }

  /** What a damaged entry with an intact header says, for the report. */
  private async partialAt(at: number): Promise<JournalRecord | null> {
    const available = await this.window(at, ENTRY_HEADER_BYTES);
    if (available < ENTRY_HEADER_BYTES) return null;
    const length = this.buf.readUInt32LE(at - this.bufStart + 8);
    if (length > WINDOW_BYTES || at + ENTRY_HEADER_BYTES + length > this.end) return null;
    await this.window(at, ENTRY_HEADER_BYTES + length);
    const start = at - this.bufStart + ENTRY_HEADER_BYTES;
    return decodePayload(this.buf, start, start + length);
  }

  /** The offset of the first good entry at or after `from` with a sequence above `after`, or the end. */
  private async findNext(from: number, after: number): Promise<number> {
    let pos = from;
    while (pos + ENTRY_HEADER_BYTES <= this.end) {
      await this.window(pos, WINDOW_BYTES);
      const idx = this.buf.indexOf(MAGIC_BYTES, pos - this.bufStart);
      if (idx === -1) {
        // A marker may straddle the window's end: look again from its last three bytes.
        const scanned = this.bufStart + this.buf.length;
        if (scanned >= this.end) break;
        pos = Math.max(pos + 1, scanned - (MAGIC_BYTES.length - 1));
        continue;
      }
      const candidate = this.bufStart + idx;
      const d = await this.decodeAt(candidate);
      if (d.kind === 'entry' && d.record.sequence > after) return candidate;
      pos = candidate + 1;
    }
    return this.end;
  }
}
