/** The first records of a stream's head, for detection: split at line breaks and STX/ETX, blanks dropped. */
export function sampleRecords(head: string, max = 20): string[] {
  // eslint-disable-next-line no-control-regex
  return head.split(/\r\n|\n|\r|\u0002|\u0003/).filter((l) => l.trim().length > 0).slice(0, max);
}
