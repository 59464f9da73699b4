import { FixedLengthFramer } from './fixed.js';
import { StxEtxFramer } from './stx-etx.js';

// Framers turn a byte stream into records. Transports feed them chunks as they arrive; a record
// split across two reads is held until it is complete. Shared by every transport.

export type Framing =
  | { kind: 'lines' }
  | { kind: 'fixed'; length: number }
  | { kind: 'stx-etx' };

/** The longest record any framer holds before giving up on it (a 10 MB line is junk, not a call). */
export const DEFAULT_MAX_RECORD_BYTES = 64 * 1024;

export interface FramedRecord {
  text: string;
  /** 1-based line (or record) number in the stream where the record started. */
  line: number;
  /** Set when the record was cut because it exceeded the maximum length. */
  truncated?: boolean;
}

export interface Framer {
  /** Feeds a chunk; returns the records it completed. */
  push(chunk: string): FramedRecord[];
  /** Returns what is left at the end of the stream (a last line without a newline). */
  end(): FramedRecord[];
}

/** CR LF, LF or lone CR end a line. Empty lines are not records. */
export class LineFramer implements Framer {
  private pending = '';
  private pendingCr = false;
  private overflow = false;
  /** Line terminators seen so far. */
  private lines = 0;

  constructor(private readonly maxBytes = DEFAULT_MAX_RECORD_BYTES) {}

  push(chunk: string): FramedRecord[] {
    const out: FramedRecord[] = [];
    if (chunk.length === 0) return out;
    let start = 0;
    let i = 0;
    if (this.pendingCr && chunk.charCodeAt(0) === 10) start = i = 1;
    this.pendingCr = false;
    for (; i < chunk.length; i++) {
      const c = chunk.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.emit(this.pending + chunk.slice(start, i), out);
      this.pending = '';
      this.lines++;
      if (c === 13) {
        if (i + 1 < chunk.length) {
          if (chunk.charCodeAt(i + 1) === 10) i++;
        } else {
          this.pendingCr = true;
        }
      }
      start = i + 1;
    }
    this.pending += chunk.slice(start);
    if (this.pending.length > this.maxBytes) {
      // Keep the head as the record's text (for the journal) and drop the rest until the next newline.
      if (!this.overflow) out.push({ text: this.pending.slice(0, this.maxBytes), line: this.lines + 1, truncated: true });
      this.overflow = true;
      this.pending = '';
    }
    return out;
  }

  end(): FramedRecord[] {
    const out: FramedRecord[] = [];
    this.emit(this.pending, out);
    this.pending = '';
    return out;
  }

  private emit(text: string, out: FramedRecord[]): void {
    if (this.overflow) {
      // The tail of an over-long line: already reported.
      this.overflow = false;
      return;
    }
    if (text.length > this.maxBytes) {
      out.push({ text: text.slice(0, this.maxBytes), line: this.lines + 1, truncated: true });
      return;
    }
    if (text.trim().length > 0) out.push({ text, line: this.lines + 1 });
  }
}

export function createFramer(framing: Framing, maxBytes = DEFAULT_MAX_RECORD_BYTES): Framer {
  switch (framing.kind) {
    case 'lines':
      return new LineFramer(maxBytes);
    case 'fixed':
      return new FixedLengthFramer(framing.length, maxBytes);
    case 'stx-etx':
      return new StxEtxFramer(maxBytes);
  }
}
