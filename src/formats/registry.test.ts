import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FORMATS_DIR } from './conformance.js';
import { allFormats, getFormat } from './registry.js';

describe('format registry', () => {
  it('holds each format once, and every format runs the shared conformance suite', () => {
    const ids = allFormats().map((f) => f.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) {
      const test = join(FORMATS_DIR, id, `${id}.test.ts`);
      expect(existsSync(test), `${id}/${id}.test.ts`).toBe(true);
      expect(readFileSync(test, 'utf8')).toContain('describeConformance(');
    }
  });

  it('names the known formats when asked for an unknown one', () => {
    expect(() => getFormat('nope')).toThrow(/unknown format "nope"; known formats: .*cdrstats-csv/);
  });
});
