// Small readers over a record's text: blanks, fields and character classes, without regexes.
// Parsers call them for every field of every record.

const BLANKS = Array.from({ length: 41 }, (_, n) => ' '.repeat(n));

/** True when text[from, to) is all spaces (or lies past the end of the text). */
export function isBlank(text: string, from: number, to: number): boolean {
  const end = Math.min(to, text.length);
  // Comparing a slice with a string of spaces beats a loop over the characters.
  if (end - from < BLANKS.length) return from >= end || text.slice(from, end) === BLANKS[end - from];
  for (let i = from; i < end; i++) if (text.charCodeAt(i) !== 32) return false;
  return true;
}

/** The value of text[from, to) without surrounding spaces, or null when blank. */
export function fieldAt(text: string, from: number, to: number): string | null {
  if (isBlank(text, from, to)) return null;
  let end = Math.min(to, text.length);
  while (end > from && text.charCodeAt(end - 1) === 32) end--;
  let start = from;
  while (start < end && text.charCodeAt(start) === 32) start++;
  return start === end ? null : text.slice(start, end);
}

/** True when the string holds only digits (and `*`, `#` when `keys`). An empty string passes. */
export function isDialString(s: string, keys: boolean): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) continue;
    if (keys && (c === 42 || c === 35)) continue;
    return false;
  }
  return true;
}

/** A value for an error message: quoted, control characters escaped, long values cut. */
export function shown(s: string): string {
  return JSON.stringify(s.length > 40 ? s.slice(0, 40) + '…' : s);
}
