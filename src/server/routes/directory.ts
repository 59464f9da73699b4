import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { CalltrailError } from '../../core/errors.js';
import { Directory } from '../../directory/directory.js';
import { RatingRepository } from '../../store/rating-repository.js';
import { ALL_TENANTS, tenantScope } from '../../store/scope.js';
import type { AppDeps } from '../app.js';

// The directory over HTTP: which person, department and cost centre an extension belonged to, and
// when (people move). `calltrail directory import FILE` replaces a tenant's whole directory from CSV;
// POST adds one entry, refused when it overlaps another period of the same extension. Calls are
// annotated as they land and again by `calltrail rebill`.

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD').nullable().default(null);
const entrySchema = z
  .object({
    tenant: z.string().min(1).default('default'),
    extension: z.string().regex(/^[0-9*#]{1,16}$/, 'expected the extension’s digits'),
    person: z.string().min(1).max(200).nullable().default(null),
    department: z.string().min(1).max(200).nullable().default(null),
    costCentre: z.string().min(1).max(200).nullable().default(null),
    validFrom: day,
    validTo: day,
  })
  .strict();

export function registerDirectoryRoutes(app: FastifyInstance, deps: AppDeps): void {
  const repo = new RatingRepository(deps.database);

  app.get('/api/directory', async (req) => {
    const query = z.object({ tenant: z.string().min(1).optional() }).strict().safeParse(req.query);
    if (!query.success) throw new CalltrailError('VALIDATION', `directory query: ${query.error.issues[0]!.message}`);
    const { tenant } = query.data;
    // Until accounts arrive every reader sees all tenants; the repository takes the scope already.
    return { entries: await repo.loadDirectory(tenant ? tenantScope(tenant) : ALL_TENANTS) };
  });

  app.post('/api/directory', async (req, reply) => {
    const parsed = entrySchema.safeParse(req.body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new CalltrailError('VALIDATION', `directory entry: ${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const { tenant, ...entry } = parsed.data;
    const current = await repo.loadDirectory(tenantScope(tenant));
    const directory = new Directory(current.map(({ tenantId: _tenant, ...e }) => e), `directory of tenant "${tenant}"`);
    directory.add(entry); // throws VALIDATION naming the overlapping period
    await repo.replaceDirectory(tenant, directory.entries());
    return reply.status(201).send({ tenant, ...entry });
  });
}
