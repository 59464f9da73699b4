import type { FastifyInstance } from 'fastify';
import { currentVersion, latestVersion } from '../../store/migrate.js';
import type { AppDeps } from '../app.js';

export function registerHealthRoutes(app: FastifyInstance, deps: AppDeps): void {
  app.get('/api/health', async () => {
    const [serverVersion, migration] = await Promise.all([deps.database.serverVersion(), currentVersion(deps.database)]);
    return {
      status: 'ok',
      version: deps.version,
      database: {
        engine: deps.database.engine,
        version: serverVersion,
        migration,
        latestMigration: latestVersion(),
      },
    };
  });

  // Collector health: each collector writes its status (sources connected, records, reconnects,
  // journal backlog) every 30 s, site collectors with every batch they push.
  app.get('/api/collectors', async () => {
    const rows = await deps.database.db.selectFrom('collectors').selectAll().orderBy('id').execute();
    const now = Date.now();
    return {
      collectors: rows.map((r) => ({
        id: r.id,
        hostname: r.hostname,
        startedAt: r.started_at,
        lastSeenAt: r.last_seen_at,
        secondsSinceSeen: Math.round((now - new Date(r.last_seen_at).getTime()) / 1000),
        status: r.status,
      })),
    };
  });
}
