import { describe, expect, it } from 'vitest';
import { LineFramer } from './framer.js';

const frameAll = (chunks: string[], max?: number) => {
  const f = new LineFramer(max);
  return [...chunks.flatMap((c) => f.push(c)), ...f.end()];
};

describe('line framer', () => {
  it('ends lines at CR LF, LF or CR, skips blank lines and numbers lines as an editor does', () => {
    expect(frameAll(['a\r\nb\nc\rd\n\n  \r\ne'])).toEqual([
      { text: 'a', line: 1 },
      { text: 'b', line: 2 },
      { text: 'c', line: 3 },
      { text: 'd', line: 4 },
      { text: 'e', line: 7 },
    ]);
  });

  it('gives the same records however the stream is split, even between CR and LF', () => {
    const text = 'first line\r\nsecond\r\n\r\nthird\r\n';
    const whole = frameAll([text]);
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j++) {
        expect(frameAll([text.slice(0, i), text.slice(i, j), text.slice(j)])).toEqual(whole);
      }
    }
  });

  it('cuts an over-long line once, flags it, and goes on with the next line', () => {
    const out = frameAll(['abc', 'x'.repeat(30), 'yyy\nok\n'], 16);
    expect(out).toEqual([
      { text: 'abc' + 'x'.repeat(13), line: 1, truncated: true },
      { text: 'ok', line: 2 },
    ]);
  });
});
