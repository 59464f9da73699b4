import { DEFAULT_MAX_RECORD_BYTES, type FramedRecord, type Framer } from './framer.js';

// Fixed-length framing: every `length` characters make one record, whatever they contain (some
// switches pad with spaces or NUL and send no line ends). `line` is the record's ordinal (1-based).
// Records that are nothing but padding are not returned, but they keep their place in the count.

export class FixedLengthFramer implements Framer {
  private pending = '';
  private records = 0;

  constructor(
    private readonly length: number,
    private readonly maxBytes = DEFAULT_MAX_RECORD_BYTES,
  ) {
    if (!Number.isInteger(length) || length < 1) throw new RangeError(`fixed record length must be a positive whole number, not ${length}`);
  }

  push(chunk: string): FramedRecord[] {
    const out: FramedRecord[] = [];
    const text = this.pending.length === 0 ? chunk : this.pending + chunk;
    let i = 0;
    for (; i + this.length <= text.length; i += this.length) this.emit(text.slice(i, i + this.length), false, out);
    this.pending = i === 0 ? text : text.slice(i);
    return out;
  }

  /** A short last record is returned as truncated. */
  end(): FramedRecord[] {
    const out: FramedRecord[] = [];
    if (this.pending.length > 0) this.emit(this.pending, true, out);
    this.pending = '';
    return out;
  }

  private emit(text: string, short: boolean, out: FramedRecord[]): void {
    this.records++;
    if (isPadding(text)) return;
    if (text.length > this.maxBytes) {
      out.push({ text: text.slice(0, this.maxBytes), line: this.records, truncated: true });
    } else {
      out.push(short ? { text, line: this.records, truncated: true } : { text, line: this.records });
    }
  }
}

function isPadding(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 0 && c !== 32 && c !== 9 && c !== 10 && c !== 13) return false;
  }
  return true;
}
