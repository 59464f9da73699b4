// Records per minute of each source, for the health the API shows, from the sources' running
// counts: sampled whenever the status is read (the heartbeat every 30 s, a site collector with
// every batch it pushes), so no timer runs for it.

const MINUTE_MS = 60_000;

interface Sample {
  ms: number;
  records: number;
}

export class RecordsPerMinute {
  private readonly history = new Map<string, Sample[]>();

  /** `startMs`: when the sources started counting from 0. */
  constructor(private readonly startMs: number) {}

  /**
   * The rate over the last minute or a little more (the newest sample at least a minute old), or
   * since the start while the collector is younger than that.
   */
  rate(source: string, records: number, nowMs: number = Date.now()): number {
    let samples = this.history.get(source);
    if (!samples) this.history.set(source, (samples = [{ ms: this.startMs, records: 0 }]));
    samples.push({ ms: nowMs, records });
    while (samples.length > 2 && nowMs - samples[1]!.ms >= MINUTE_MS) samples.shift();
    const from = samples[0]!;
    const span = nowMs - from.ms;
    return span <= 0 ? 0 : Math.round(((records - from.records) * MINUTE_MS) / span);
  }
}
