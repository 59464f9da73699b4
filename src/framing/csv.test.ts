import { describe, expect, it } from 'vitest';
import { csvField, splitCsv } from './csv.js';

describe('CSV fields', () => {
  it('splits plain and quoted fields', () => {
    expect(splitCsv('a,b,,d')).toEqual({ ok: true, fields: ['a', 'b', '', 'd'] });
    expect(splitCsv('"a,1","say ""hi""",,"x"')).toEqual({ ok: true, fields: ['a,1', 'say "hi"', '', 'x'] });
    expect(splitCsv('"",""')).toEqual({ ok: true, fields: ['', ''] });
    expect(splitCsv('1;"2;3"', ';')).toEqual({ ok: true, fields: ['1', '2;3'] });
  });

  it('names the field of a quoting error', () => {
    expect(splitCsv('a,"b')).toEqual({ ok: false, error: 'unbalanced quote in field 2' });
    expect(splitCsv('a,"b"c')).toEqual({ ok: false, error: 'text after the closing quote of field 2' });
    expect(splitCsv('a,b"c,d')).toEqual({ ok: false, error: 'stray quote in field 2' });
  });

  it('quotes a field only when it must, and round-trips', () => {
    const values = ['plain', 'with,comma', 'with "quotes"', 'line\nbreak', ''];
    const line = values.map((v) => csvField(v)).join(',');
    expect(line).toBe('plain,"with,comma","with ""quotes""","line\nbreak",');
    expect(csvField(null)).toBe('');
    expect(csvField(42)).toBe('42');
  });
});
