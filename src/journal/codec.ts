import { crc32 } from './crc32.js';

// The bytes of a journal segment. A segment starts with an 8-byte header; then entries follow,
// each one:
//
//   magic u32 | crc32 u32 | length u32 | payload (length bytes)
//   payload: sequence u64 | receivedAt f64 (epoch ms) | flags u8 | source u16+utf8 | [peer u16+utf8]
//            | [ordinal u32] | text utf8     (the bracketed fields are there when their flag is set)
//
// All little-endian. The CRC covers the length field and the payload, so a damaged length is caught
// like damaged text. The magic lets a reader find the next good entry after damage.

export const SEGMENT_HEADER = Buffer.from('CTJRNL\x00\x01', 'latin1');
export const ENTRY_MAGIC = 0x4c4a5443; // "CTJL" read as a little-endian u32
export const ENTRY_HEADER_BYTES = 12;
const FIXED_PAYLOAD_BYTES = 8 + 8 + 1 + 2;
/** No record comes near this (framers cut at 64 KiB); a length above it is damage, not a record. */
export const MAX_PAYLOAD_BYTES = 16 * 1024 * 1024;
const MAX_NAME_BYTES = 0xffff;

const FLAG_TRUNCATED = 1;
const FLAG_PEER = 2;
const FLAG_ORDINAL = 4;

export interface JournalAppend {
  /** The switch and source the record came from, as the collector names them. */
  source: string;
  /** Epoch milliseconds. */
  receivedAt: number;
  text: string;
  /** The framer cut the record at its maximum length. */
  truncated?: boolean;
  /** The remote address for network sources. */
  peer?: string;
  /**
   * The record's dedupe ordinal among identical records, when the collector works it out before
   * journaling: a record handed again after a crash then keeps the ordinal it was stored with.
   */
  ordinal?: number;
}

export interface JournalRecord {
  sequence: number;
  source: string;
  receivedAt: number;
  text: string;
  truncated: boolean;
  peer?: string;
  ordinal?: number;
  /**
   * Set when the journal's bytes for this record were damaged on disk (checksum mismatch). The
   * fields are what could be read (possibly altered; empty when nothing could be decoded). The
   * consumer stores it as a failed record with this text as its error; the damaged bytes are also
   * copied to a `.corrupt` file next to the segment.
   */
  damage?: string;
}

export function encodeEntry(sequence: number, entry: JournalAppend): Buffer {
  const sourceBytes = Buffer.byteLength(entry.source, 'utf8');
  const peerBytes = entry.peer === undefined ? -1 : Buffer.byteLength(entry.peer, 'utf8');
  if (sourceBytes > MAX_NAME_BYTES) throw new RangeError(`journal: source name longer than ${MAX_NAME_BYTES} bytes`);
  if (peerBytes > MAX_NAME_BYTES) throw new RangeError(`journal: peer longer than ${MAX_NAME_BYTES} bytes`);
  const ordinal = entry.ordinal;
  if (ordinal !== undefined && !(Number.isInteger(ordinal) && ordinal >= 0 && ordinal <= 0xffff_ffff)) throw new RangeError(`journal: bad ordinal ${ordinal}`);
  const textBytes = Buffer.byteLength(entry.text, 'utf8');
  const payload = FIXED_PAYLOAD_BYTES + sourceBytes + (peerBytes >= 0 ? 2 + peerBytes : 0) + (ordinal !== undefined ? 4 : 0) + textBytes;
  if (payload > MAX_PAYLOAD_BYTES) throw new RangeError(`journal: record of ${textBytes} bytes is larger than the journal accepts (${MAX_PAYLOAD_BYTES})`);
  const buf = Buffer.allocUnsafe(ENTRY_HEADER_BYTES + payload);
  buf.writeUInt32LE(ENTRY_MAGIC, 0);
  buf.writeUInt32LE(payload, 8);
  let o = ENTRY_HEADER_BYTES;
  buf.writeUInt32LE(sequence % 0x1_0000_0000, o);
  buf.writeUInt32LE(Math.floor(sequence / 0x1_0000_0000), o + 4);
  buf.writeDoubleLE(entry.receivedAt, o + 8);
  buf.writeUInt8((entry.truncated ? FLAG_TRUNCATED : 0) | (peerBytes >= 0 ? FLAG_PEER : 0) | (ordinal !== undefined ? FLAG_ORDINAL : 0), o + 16);
  buf.writeUInt16LE(sourceBytes, o + 17);
  o += FIXED_PAYLOAD_BYTES;
  o += buf.write(entry.source, o, 'utf8');
  if (peerBytes >= 0) {
    buf.writeUInt16LE(peerBytes, o);
    o += 2 + buf.write(entry.peer!, o + 2, 'utf8');
  }
  if (ordinal !== undefined) {
    buf.writeUInt32LE(ordinal, o);
    o += 4;
  }
  buf.write(entry.text, o, 'utf8');
  buf.writeUInt32LE(crc32(buf.subarray(8)), 4);
  return buf;
}

export type Decoded =
  | { kind: 'entry'; record: JournalRecord; size: number }
  /** The bytes end inside the entry; `need` is how many bytes from `at` hold all of it (when known). */
  | { kind: 'short'; need: number }
  | { kind: 'bad'; reason: string };

/** Reads the entry at `at`, checking its magic, length and CRC. */
export function decodeEntry(buf: Buffer, at: number): Decoded {
  if (buf.length - at < ENTRY_HEADER_BYTES) return { kind: 'short', need: ENTRY_HEADER_BYTES };
  if (buf.readUInt32LE(at) !== ENTRY_MAGIC) return { kind: 'bad', reason: 'no entry marker' };
  const length = buf.readUInt32LE(at + 8);
  if (length < FIXED_PAYLOAD_BYTES || length > MAX_PAYLOAD_BYTES) return { kind: 'bad', reason: `impossible length ${length}` };
  const size = ENTRY_HEADER_BYTES + length;
  if (buf.length - at < size) return { kind: 'short', need: size };
  if (crc32(buf.subarray(at + 8, at + size)) !== buf.readUInt32LE(at + 4)) {
    const record = decodePayload(buf, at + ENTRY_HEADER_BYTES, at + size);
    return { kind: 'bad', reason: record ? 'checksum mismatch' : 'checksum mismatch, unreadable' };
  }
  const record = decodePayload(buf, at + ENTRY_HEADER_BYTES, at + size);
  if (!record) return { kind: 'bad', reason: 'checksum matches but the fields do not fit' };
  return { kind: 'entry', record, size };
}

/** The fields of a payload, or null when its own lengths do not fit (damage). */
export function decodePayload(buf: Buffer, start: number, end: number): JournalRecord | null {
  if (end - start < FIXED_PAYLOAD_BYTES) return null;
  const sequence = buf.readUInt32LE(start) + buf.readUInt32LE(start + 4) * 0x1_0000_0000;
  const receivedAt = buf.readDoubleLE(start + 8);
  const flags = buf.readUInt8(start + 16);
  const sourceBytes = buf.readUInt16LE(start + 17);
  let o = start + FIXED_PAYLOAD_BYTES;
  if (o + sourceBytes > end) return null;
  const source = buf.toString('utf8', o, o + sourceBytes);
  o += sourceBytes;
  let peer: string | undefined;
  if (flags & FLAG_PEER) {
    if (o + 2 > end) return null;
    const peerBytes = buf.readUInt16LE(o);
    if (o + 2 + peerBytes > end) return null;
    peer = buf.toString('utf8', o + 2, o + 2 + peerBytes);
    o += 2 + peerBytes;
  }
  let ordinal: number | undefined;
  if (flags & FLAG_ORDINAL) {
    if (o + 4 > end) return null;
    ordinal = buf.readUInt32LE(o);
    o += 4;
  }
  const record: JournalRecord = { sequence, source, receivedAt, text: buf.toString('utf8', o, end), truncated: (flags & FLAG_TRUNCATED) !== 0 };
  if (peer !== undefined) record.peer = peer;
  if (ordinal !== undefined) record.ordinal = ordinal;
  return record;
}
