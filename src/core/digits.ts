/** The number written in text[start:end] in ASCII digits, or -1 when any character is not a digit. */
export function readDigits(text: string, start: number, end: number): number {
  if (end > text.length || start >= end) return -1;
  let n = 0;
  for (let i = start; i < end; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** The number written in the `length` ASCII digits at `at`, or -1. */
export function digitsAt(text: string, at: number, length: number): number {
  return readDigits(text, at, at + length);
}
