import { DEFAULT_MAX_RECORD_BYTES, type FramedRecord, type Framer } from './framer.js';

// STX … ETX framing (NEC NEAX and other serial SMDR outputs): a record is the text between STX (0x02)
// and ETX (0x03). Bytes between frames (CR LF a buffer box appends, XON/XOFF, banners) are ignored.
// `line` is the frame's ordinal in the stream (1-based), counting every STX seen.

const STX = '\u0002';
const ETX = '\u0003';

export class StxEtxFramer implements Framer {
  private inFrame = false;
  private pending = '';
  /** The current frame passed maxBytes and was reported; drop its rest. */
  private overflow = false;
  private frames = 0;

  constructor(private readonly maxBytes = DEFAULT_MAX_RECORD_BYTES) {}

  push(chunk: string): FramedRecord[] {
    const out: FramedRecord[] = [];
    let i = 0;
    while (i < chunk.length) {
      if (!this.inFrame) {
        const stx = chunk.indexOf(STX, i);
        if (stx === -1) break;
        this.open();
        i = stx + 1;
        continue;
      }
      const etx = chunk.indexOf(ETX, i);
      const stx = chunk.indexOf(STX, i);
      if (stx !== -1 && (etx === -1 || stx < etx)) {
        // A new frame starts before this one ended: the broken frame is reported as truncated.
        this.append(chunk.slice(i, stx), out);
        this.close(out, true);
        this.open();
        i = stx + 1;
      } else if (etx !== -1) {
        this.append(chunk.slice(i, etx), out);
        this.close(out, false);
        i = etx + 1;
      } else {
        this.append(chunk.slice(i), out);
        break;
      }
    }
    return out;
  }

  /** An unterminated last frame is returned as truncated. */
  end(): FramedRecord[] {
    const out: FramedRecord[] = [];
    if (this.inFrame) this.close(out, true);
    return out;
  }

  private open(): void {
    this.inFrame = true;
    this.pending = '';
    this.overflow = false;
    this.frames++;
  }

  private append(text: string, out: FramedRecord[]): void {
    if (this.overflow || text.length === 0) return;
    this.pending += text;
    if (this.pending.length > this.maxBytes) {
      out.push({ text: this.pending.slice(0, this.maxBytes), line: this.frames, truncated: true });
      this.pending = '';
      this.overflow = true;
    }
  }

  private close(out: FramedRecord[], truncated: boolean): void {
    const text = this.pending;
    const reported = this.overflow;
    this.inFrame = false;
    this.pending = '';
    this.overflow = false;
    if (reported || text.trim().length === 0) return;
    out.push(truncated ? { text, line: this.frames, truncated: true } : { text, line: this.frames });
  }
}
