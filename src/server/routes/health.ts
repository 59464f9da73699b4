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
}
