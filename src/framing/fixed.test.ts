import { describe, expect, it } from 'vitest';
import { FixedLengthFramer } from './fixed.js';
import { createFramer, type FramedRecord } from './framer.js';

function frameAll(length: number, chunks: string[], maxBytes?: number): FramedRecord[] {
  const framer = new FixedLengthFramer(length, maxBytes);
  return [...chunks.flatMap((c) => framer.push(c)), ...framer.end()];
}

// Three 8-character records, the second one pure padding.
const stream = 'REC 0001' + '\u0000'.repeat(4) + '    ' + 'REC\r\n003';
const expected: FramedRecord[] = [
  { text: 'REC 0001', line: 1 },
  { text: 'REC\r\n003', line: 3 },
];

describe('FixedLengthFramer', () => {
  it('cuts every `length` characters and skips records that are only padding', () => {
    expect(frameAll(8, [stream])).toEqual(expected);
  });

  it('reassembles records split at every position, in two and in three pieces', () => {
    for (let i = 0; i <= stream.length; i++) {
      expect(frameAll(8, [stream.slice(0, i), stream.slice(i)]), `split at ${i}`).toEqual(expected);
      for (let j = i; j <= stream.length; j++) {
        expect(frameAll(8, [stream.slice(0, i), stream.slice(i, j), stream.slice(j)]), `split at ${i},${j}`).toEqual(expected);
      }
    }
    expect(frameAll(8, [...stream])).toEqual(expected);
  });

  it('returns a short last record as truncated', () => {
    expect(frameAll(8, ['REC 0001REC '])).toEqual([
      { text: 'REC 0001', line: 1 },
      { text: 'REC ', line: 2, truncated: true },
    ]);
  });

  it('cuts records longer than maxBytes and flags them', () => {
    expect(frameAll(6, ['abcdefghijkl'], 4)).toEqual([
      { text: 'abcd', line: 1, truncated: true },
      { text: 'ghij', line: 2, truncated: true },
    ]);
  });

  it('refuses a length that is not a positive whole number', () => {
    expect(() => new FixedLengthFramer(0)).toThrow(RangeError);
    expect(() => new FixedLengthFramer(2.5)).toThrow(RangeError);
  });

  it('is what createFramer returns for fixed framing', () => {
    const framer = createFramer({ kind: 'fixed', length: 3 });
    expect(framer).toBeInstanceOf(FixedLengthFramer);
    expect(framer.push('abcde')).toEqual([{ text: 'abc', line: 1 }]);
    expect(framer.end()).toEqual([{ text: 'de', line: 2, truncated: true }]);
  });
});
