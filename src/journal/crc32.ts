import * as zlib from 'node:zlib';

// CRC-32 (IEEE 802.3, the one zlib, gzip and PNG use) guards every journal entry against torn and
// damaged writes. node:zlib has crc32() from Node 22.2 only; on Node 20 a table-driven CRC in
// JavaScript is used. Both give the same values, so a journal written under one reads under the
// other. Measured on Node 20 (2 shared cores): 0.5–0.7 µs per 200-byte entry (about 350 MB/s)
// against 2.6–4 µs for createHash('md5'), whose per-call object costs more than the hashing.

type Crc32 = (data: Uint8Array, initial?: number) => number;

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 of bytes, continuing from `initial` (the CRC of what came before). */
export function crc32Js(data: Uint8Array, initial = 0): number {
  let crc = ~initial;
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

const native = (zlib as unknown as { crc32?: Crc32 }).crc32;

export const crc32: Crc32 = native ?? crc32Js;
