// PostgreSQL's binary COPY format, for the one bulk path that needs it: calls. The server then
// skips text parsing of timestamps, numbers and UUIDs, which is half the cost of a text COPY.
// Layout: https://www.postgresql.org/docs/15/sql-copy.html ("Binary Format").

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const PG_EPOCH_MS = 946_684_800_000; // 2000-01-01T00:00:00Z
const INT8_OID = 20;

/** Hex digit values by character code; -1 for anything else. */
const HEX = Int8Array.from({ length: 128 }, (_, c) =>
  c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1,
);

/** A safe integer as a big-endian int64, without a BigInt per value. */
function writeInt64(b: Buffer, value: number, at: number): void {
  const high = Math.floor(value / 4294967296);
  b.writeInt32BE(high, at);
  b.writeUInt32BE(value - high * 4294967296, at + 4);
}

export class BinaryCopyWriter {
  private buf: Buffer;
  private pos = 0;

  constructor(initialBytes = 1 << 20) {
    this.buf = Buffer.allocUnsafe(initialBytes);
    this.ensure(19);
    SIGNATURE.copy(this.buf, 0);
    this.pos = SIGNATURE.length;
    this.buf.writeInt32BE(0, this.pos); // flags
    this.buf.writeInt32BE(0, this.pos + 4); // header extension length
    this.pos += 8;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  row(columns: number): this {
    this.ensure(2);
    this.buf.writeInt16BE(columns, this.pos);
    this.pos += 2;
    return this;
  }

  null(): this {
    this.ensure(4);
    this.buf.writeInt32BE(-1, this.pos);
    this.pos += 4;
    return this;
  }

  text(value: string | null): this {
    if (value === null) return this.null();
    const n = value.length;
    this.ensure(4 + n * 3);
    const b = this.buf;
    const start = this.pos + 4;
    // Most values are short ASCII (numbers, names, codes): copied here, a native write costs more.
    if (n <= 64) {
      let i = 0;
      for (; i < n; i++) {
        const c = value.charCodeAt(i);
        if (c >= 128) break;
        b[start + i] = c;
      }
      if (i === n) {
        b.writeInt32BE(n, this.pos);
        this.pos = start + n;
        return this;
      }
    }
    const written = b.write(value, start, 'utf8');
    b.writeInt32BE(written, this.pos);
    this.pos = start + written;
    return this;
  }

  int2(value: number | null): this {
    if (value === null) return this.null();
    this.ensure(6);
    this.buf.writeInt32BE(2, this.pos);
    this.buf.writeInt16BE(value, this.pos + 4);
    this.pos += 6;
    return this;
  }

  int4(value: number | null): this {
    if (value === null) return this.null();
    this.ensure(8);
    this.buf.writeInt32BE(4, this.pos);
    this.buf.writeInt32BE(value, this.pos + 4);
    this.pos += 8;
    return this;
  }

  int8(value: number | null): this {
    if (value === null) return this.null();
    this.ensure(12);
    this.buf.writeInt32BE(8, this.pos);
    writeInt64(this.buf, value, this.pos + 4);
    this.pos += 12;
    return this;
  }

  /** An instant, in epoch milliseconds. */
  timestamptz(epochMs: number | null): this {
    if (epochMs === null) return this.null();
    return this.int8((epochMs - PG_EPOCH_MS) * 1000);
  }

  /** A UUID in its 8-4-4-4-12 hex form. */
  uuid(value: string): this {
    if (value.length !== 36) throw new Error(`not a UUID: ${value}`);
    this.ensure(20);
    const b = this.buf;
    let p = this.pos;
    b.writeInt32BE(16, p);
    p += 4;
    for (let i = 0; i < 36; i += 2) {
      if (i === 8 || i === 13 || i === 18 || i === 23) i++; // the dashes
      const hi = HEX[value.charCodeAt(i)]!;
      const lo = HEX[value.charCodeAt(i + 1)]!;
      if ((hi | lo) < 0) throw new Error(`not a UUID: ${value}`);
      b[p++] = (hi << 4) | lo;
    }
    this.pos = p;
    return this;
  }

  /** JSON text sent as jsonb (format version 1). */
  jsonb(json: string): this {
    this.ensure(5 + json.length * 3);
    this.buf.writeUInt8(1, this.pos + 4);
    const written = this.buf.write(json, this.pos + 5, 'utf8');
    this.buf.writeInt32BE(written + 1, this.pos);
    this.pos += 5 + written;
    return this;
  }

  /** A one-dimensional bigint[] without NULLs. */
  int8Array(values: readonly number[] | null): this {
    if (values === null) return this.null();
    const bytes = 20 + values.length * 12;
    this.ensure(4 + bytes);
    const b = this.buf;
    let p = this.pos;
    b.writeInt32BE(bytes, p);
    b.writeInt32BE(1, p + 4); // dimensions
    b.writeInt32BE(0, p + 8); // has nulls
    b.writeInt32BE(INT8_OID, p + 12);
    b.writeInt32BE(values.length, p + 16);
    b.writeInt32BE(1, p + 20); // lower bound
    p += 24;
    for (const v of values) {
      b.writeInt32BE(8, p);
      writeInt64(b, v, p + 4);
      p += 12;
    }
    this.pos = p;
    return this;
  }

  /** The finished COPY data, trailer included. */
  finish(): Buffer {
    this.ensure(2);
    this.buf.writeInt16BE(-1, this.pos);
    this.pos += 2;
    return this.buf.subarray(0, this.pos);
  }
}
