import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { formatIssues } from '../../config/load.js';
import { CalltrailError } from '../../core/errors.js';
import { CallsRepository } from '../../store/calls-repository.js';
import { ALL_TENANTS } from '../../store/scope.js';
import { SwitchesRepository } from '../../store/switches-repository.js';
import type { AppDeps } from '../app.js';

const listCallsQuery = z
  .object({
    from: z.coerce.date().optional(),
    to: z.coerce.date().optional(),
    switch: z.string().min(1).optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
    order: z.enum(['asc', 'desc']).default('asc'),
    /** The cursor a previous page returned. */
    after: z
      .string()
      .regex(/^\d+\.[0-9a-f-]{36}$/, 'expected the "next" cursor of a previous page')
      .optional(),
  })
  .strict();

function parseQuery<T>(schema: z.ZodType<T>, query: unknown): T {
  const result = schema.safeParse(query);
  if (!result.success) throw new CalltrailError('VALIDATION', 'invalid query parameters', formatIssues(result.error.issues));
  return result.data;
}

// Until users and sign-in arrive, the API answers as the administrator (all tenants); the scope is
// already passed down so that the repositories never read unscoped.
export function registerCallRoutes(app: FastifyInstance, deps: AppDeps): void {
  const calls = new CallsRepository(deps.database);
  const switches = new SwitchesRepository(deps.database);

  app.get('/api/calls', async (req) => {
    const q = parseQuery(listCallsQuery, req.query);
    const after = q.after ? { startedAt: new Date(Number(q.after.split('.')[0])), id: q.after.slice(q.after.indexOf('.') + 1) } : null;
    const page = await calls.page(ALL_TENANTS, { from: q.from, to: q.to, switchName: q.switch }, after, q.limit, q.order);
    const last = page.at(-1);
    return {
      calls: page.map((row) => ({ id: row.id, switch: row.switchName, ...row.call })),
      next: page.length === q.limit && last ? `${last.startedAt.getTime()}.${last.id}` : null,
    };
  });

  // The CDR legs a call of a multi-leg format was joined from (an empty list for other calls).
  app.get('/api/calls/:id/legs', async (req) => {
    const { id } = parseQuery(z.object({ id: z.guid('expected a call id') }).strict(), req.params);
    return { legs: (await calls.legs(ALL_TENANTS, id)).map((row) => ({ id: row.id, switch: row.switchName, ...row.call })) };
  });

  app.get('/api/switches', async () => ({
    switches: (await switches.list(ALL_TENANTS)).map((s) => ({ name: s.name, tenant: s.tenantId, format: s.format, timezone: s.timezone })),
  }));

  // The live feed: one server-sent event per batch of new calls.
  app.get('/api/live', (req, reply) => {
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    reply.raw.write(': connected\n\n');
    const unsubscribe = deps.bus.subscribe((batch) => {
      reply.raw.write(`event: calls\ndata: ${JSON.stringify(batch.map((c) => ({ id: c.id, switch: c.switchName, ...c.call })))}\n\n`);
    });
    req.raw.on('close', unsubscribe);
  });
}
