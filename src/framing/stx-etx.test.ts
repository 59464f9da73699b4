import { describe, expect, it } from 'vitest';
import { createFramer, type FramedRecord } from './framer.js';
import { StxEtxFramer } from './stx-etx.js';

const STX = '\u0002';
const ETX = '\u0003';

function frameAll(chunks: string[], maxBytes?: number): FramedRecord[] {
  const framer = new StxEtxFramer(maxBytes);
  return [...chunks.flatMap((c) => framer.push(c)), ...framer.end()];
}

const stream = `\u0011${STX}0!KA first${ETX}\r\n${STX}0!KE second ${ETX}\r\nbanner\u0013${STX}${ETX}${STX}0!KB third${ETX}`;
const expected: FramedRecord[] = [
  { text: '0!KA first', line: 1 },
  { text: '0!KE second ', line: 2 },
  { text: '0!KB third', line: 4 },
];

describe('StxEtxFramer', () => {
  it('returns the text between STX and ETX, ignoring bytes outside frames and empty frames', () => {
    expect(frameAll([stream])).toEqual(expected);
  });

  it('reassembles frames split at every position, in two and in three pieces', () => {
    for (let i = 0; i <= stream.length; i++) {
      expect(frameAll([stream.slice(0, i), stream.slice(i)]), `split at ${i}`).toEqual(expected);
      for (let j = i; j <= stream.length; j++) {
        expect(frameAll([stream.slice(0, i), stream.slice(i, j), stream.slice(j)]), `split at ${i},${j}`).toEqual(expected);
      }
    }
    expect(frameAll([...stream])).toEqual(expected);
  });

  it('reports a frame broken by a new STX as truncated and reads the new frame', () => {
    const text = `${STX}0!KA cut off${STX}0!KA whole${ETX}`;
    for (let i = 0; i <= text.length; i++) {
      expect(frameAll([text.slice(0, i), text.slice(i)]), `split at ${i}`).toEqual([
        { text: '0!KA cut off', line: 1, truncated: true },
        { text: '0!KA whole', line: 2 },
      ]);
    }
  });

  it('returns an unterminated last frame as truncated at the end of the stream', () => {
    expect(frameAll([`${STX}0!KA whole${ETX}${STX}0!KE hal`])).toEqual([
      { text: '0!KA whole', line: 1 },
      { text: '0!KE hal', line: 2, truncated: true },
    ]);
  });

  it('cuts a frame longer than maxBytes once, flags it, and drops its rest up to ETX', () => {
    const long = `${STX}${'x'.repeat(25)}${ETX}${STX}short${ETX}`;
    for (let i = 0; i <= long.length; i++) {
      expect(frameAll([long.slice(0, i), long.slice(i)], 10), `split at ${i}`).toEqual([
        { text: 'xxxxxxxxxx', line: 1, truncated: true },
        { text: 'short', line: 2 },
      ]);
    }
  });

  it('resynchronises on the next STX after an over-long frame that never ended', () => {
    expect(frameAll([`${STX}${'y'.repeat(30)}${STX}ok${ETX}`], 10)).toEqual([
      { text: 'yyyyyyyyyy', line: 1, truncated: true },
      { text: 'ok', line: 2 },
    ]);
  });

  it('ignores a stray ETX and text before the first STX', () => {
    expect(frameAll([`garbage${ETX}more\r\n${STX}rec${ETX}${ETX}`])).toEqual([{ text: 'rec', line: 1 }]);
  });

  it('is what createFramer returns for stx-etx framing', () => {
    const framer = createFramer({ kind: 'stx-etx' });
    expect(framer).toBeInstanceOf(StxEtxFramer);
    expect(framer.push(`${STX}a${ETX}`)).toEqual([{ text: 'a', line: 1 }]);
  });
});
