import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { CalltrailError } from '../../core/errors.js';
import { logger } from '../../core/log.js';
import type { CallBus } from '../../pipeline/bus.js';
import { Ingestor, type IngestStream, type SwitchRuntime } from '../../pipeline/ingest.js';
import type { Database } from '../../store/database.js';

// POST /api/ingest: where site collectors (`calltrail collect --push URL --token T`) ship their
// journal. The answer comes only after the records are committed; the collector then advances its
// checkpoint. A batch sent twice (an answer lost on the way) stores nothing twice: calls are keyed,
// and record-hash ordinals come from the collector with each record.

const log = logger('ingest');

/** Journal batches are at most a few MiB (the pump's maxBatchBytes). */
const BODY_LIMIT = 32 * 1024 * 1024;
/**
 * A stream the site never said had ended (an older collector, a message lost) is ended after a day
 * without records, as the assemblers give up on a call after a day too: a server that runs for
 * months does not keep every connection it ever heard of.
 */
const IDLE_STREAM_MS = 24 * 3600 * 1000;

export const ingestBatchSchema = z.object({
  collector: z.string().min(1).max(200),
  /** The site collector's health (sources, journal backlog), shown by GET /api/collectors. */
  status: z.record(z.string(), z.unknown()).optional(),
  records: z
    .array(
      z
        .object({
          sequence: z.number().int().nonnegative(),
          /** The switch's name as the server's config has it. */
          switch: z.string().min(1),
          /** The parse stream within the switch: a source, or a source and its connection. */
          stream: z.string().min(1),
          receivedAt: z.number().int(),
          text: z.string(),
          truncated: z.boolean().default(false),
          ordinal: z.number().int().nonnegative().optional(),
        })
        .strict(),
    )
    .max(100_000),
  /**
   * Streams that ended at the site (a connection closed) after all their records were acknowledged:
   * the server ends them too, so an assembler hands over the calls it still holds.
   */
  ended: z
    .array(z.object({ switch: z.string().min(1), stream: z.string().min(1) }).strict())
    .max(10_000)
    .optional(),
});
export type IngestBatch = z.input<typeof ingestBatchSchema>;

export interface IngestDeps {
  database: Database;
  bus?: CallBus;
  switches: Map<string, SwitchRuntime>;
  /** SHA-256 digests (hex) of the tokens collectors may push with. No tokens: the endpoint is closed. */
  tokenDigests: string[];
}

export function tokenDigest(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

function authorized(req: FastifyRequest, digests: Buffer[]): boolean {
  const header = req.headers.authorization;
  if (!header?.startsWith('Bearer ')) return false;
  const presented = Buffer.from(tokenDigest(header.slice(7)), 'hex');
  let ok = false;
  for (const d of digests) if (timingSafeEqual(presented, d)) ok = true;
  return ok;
}

export function registerIngestRoutes(app: FastifyInstance, deps: IngestDeps): { close(): Promise<void> } {
  const digests = deps.tokenDigests.map((d) => Buffer.from(d, 'hex'));
  /** One ingestor per remote collector: receipts name the collector that saw each record. */
  const ingestors = new Map<string, Ingestor>();
  const streams = new Map<string, { stream: IngestStream; lastMs: number }>();
  let lastSweepMs = Date.now();

  const endStream = async (key: string): Promise<void> => {
    const open = streams.get(key);
    streams.delete(key);
    await open?.stream.end();
  };
  const endIdleStreams = async (now: number): Promise<void> => {
    if (now - lastSweepMs < IDLE_STREAM_MS / 24) return;
    lastSweepMs = now;
    for (const [key, open] of streams) if (now - open.lastMs > IDLE_STREAM_MS) await endStream(key);
  };

  const ingestorFor = (collector: string): Ingestor => {
    let ingestor = ingestors.get(collector);
    if (!ingestor) {
      ingestor = new Ingestor(deps.database, { collectorId: collector, maxBatch: 10_000, maxDelayMs: 60_000, ...(deps.bus ? { bus: deps.bus } : {}) });
      ingestors.set(collector, ingestor);
    }
    return ingestor;
  };

  app.post('/api/ingest', { bodyLimit: BODY_LIMIT }, async (req, reply) => {
    if (digests.length === 0 || !authorized(req, digests)) {
      return reply.status(401).send({ error: { code: 'UNAUTHORIZED', message: 'a valid "Authorization: Bearer TOKEN" is needed to push records' } });
    }
    const parsed = ingestBatchSchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new CalltrailError('VALIDATION', `ingest batch: ${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const { collector, records, ended = [] } = parsed.data;
    const unknown = [...new Set([...records, ...ended].map((r) => r.switch))].filter((name) => !deps.switches.has(name));
    if (unknown.length > 0) {
      // Refused whole: the collector keeps the batch and retries once the server's config names the switch.
      throw new CalltrailError('VALIDATION', `unknown switch(es) ${unknown.map((n) => `"${n}"`).join(', ')}: add them to the server's configuration`);
    }
    const ingestor = ingestorFor(collector);
    const keyOf = (r: { switch: string; stream: string }): string => `${collector}\u0000${r.switch}\u0000${r.stream}`;
    const nowMs = Date.now();
    // Their records came in earlier batches: a stream of the same name in this one is a new one.
    for (const r of ended) await endStream(keyOf(r));
    await endIdleStreams(nowMs);
    for (const r of records) {
      const key = keyOf(r);
      let open = streams.get(key);
      if (!open) {
        open = { stream: ingestor.openStream(deps.switches.get(r.switch)!, r.stream), lastMs: nowMs };
        streams.set(key, open);
      }
      open.lastMs = nowMs;
      const wait = open.stream.ingest(r.text, {
        sequence: r.sequence,
        receivedAt: new Date(r.receivedAt),
        ...(r.truncated ? { truncatedAt: Buffer.byteLength(r.text, 'utf8') } : {}),
        ...(r.ordinal !== undefined ? { ordinal: r.ordinal } : {}),
      });
      if (wait) await wait;
    }
    try {
      await ingestor.flush();
      await deps.database.sync(); // the site's checkpoint moves on our answer
    } catch (err) {
      log.error({ err, collector }, 'storing a pushed batch failed; the collector will send it again');
      return reply.status(503).send({ error: { code: 'UNAVAILABLE', message: 'the database could not store the batch; send it again later' } });
    }
    if (parsed.data.status) {
      const now = new Date();
      const status = JSON.stringify(parsed.data.status);
      await deps.database.db
        .insertInto('collectors')
        .values({ id: collector, hostname: req.ip, started_at: now, last_seen_at: now, status })
        .onConflict((oc) => oc.column('id').doUpdateSet({ last_seen_at: now, status }))
        .execute()
        .catch((err: unknown) => log.warn({ err, collector }, 'recording the collector status failed'));
    }
    const last = records.at(-1)?.sequence ?? null;
    return { acknowledged: last, records: records.length };
  });

  return {
    async close() {
      for (const ingestor of ingestors.values()) await ingestor.close();
    },
  };
}
