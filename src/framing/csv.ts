// Splits one CSV record (one line, as framed) into fields: RFC 4180 quoting ("" inside quotes).

export type CsvSplit = { ok: true; fields: string[] } | { ok: false; error: string };

export function splitCsv(line: string, delimiter = ','): CsvSplit {
  if (line.indexOf('"') === -1) return { ok: true, fields: line.split(delimiter) };
  const fields: string[] = [];
  let i = 0;
  const n = line.length;
  for (;;) {
    if (line[i] === '"') {
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = line.indexOf('"', j);
        if (q === -1) return { ok: false, error: `unbalanced quote in field ${fields.length + 1}` };
        value += line.slice(j, q);
        if (line[q + 1] === '"') {
          value += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === n) return { ok: true, fields };
      if (line[i] !== delimiter) {
        return { ok: false, error: `text after the closing quote of field ${fields.length}` };
      }
      i++;
    } else {
      const d = line.indexOf(delimiter, i);
      const end = d === -1 ? n : d;
      const value = line.slice(i, end);
      if (value.indexOf('"') !== -1) return { ok: false, error: `stray quote in field ${fields.length + 1}` };
      fields.push(value);
      if (d === -1) return { ok: true, fields };
      i = d + 1;
    }
  }
}

/** Quotes a field when it needs it. */
export function csvField(value: string | number | null | undefined, delimiter = ','): string {
  if (value === null || value === undefined) return '';
  const s = String(value);
  if (s.includes('"') || s.includes(delimiter) || s.includes('\n') || s.includes('\r')) {
    return '"' + s.replace(/"/g, '""') + '"';
  }
  return s;
}
