import type { Database } from './database.js';

const BLOCK = 1024; // the sequence's INCREMENT BY (migration 001)

/** Hands out raw-record ids from blocks reserved with one nextval each; safe across processes. */
export class JournalIdAllocator {
  private next = 0;
  private end = 0;
  /** Reserved blocks not yet used; not contiguous when another process took some in between. */
  private readonly spare: number[] = [];

  constructor(private readonly database: Database) {}

  async take(count: number): Promise<number[]> {
    const ids: number[] = [];
    while (ids.length < count) {
      if (this.next === this.end) await this.refill(Math.ceil((count - ids.length) / BLOCK));
      while (ids.length < count && this.next < this.end) ids.push(this.next++);
    }
    return ids;
  }

  private async refill(blocks: number): Promise<void> {
    if (this.spare.length === 0) {
      const rows = await this.database.transaction((tx) =>
        tx.query<{ v: string }>(`SELECT nextval('raw_record_id_blocks')::text AS v FROM generate_series(1, $1)`, [blocks]),
      );
      this.spare.push(...rows.map((r) => Number(r.v)));
    }
    this.next = this.spare.shift()!;
    this.end = this.next + BLOCK;
  }
}
