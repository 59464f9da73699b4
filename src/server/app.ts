import Fastify, { type FastifyInstance } from 'fastify';
import { CalltrailError, errorBody } from '../core/errors.js';
import type { CallBus } from '../pipeline/bus.js';
import type { Database } from '../store/database.js';
import { registerCallRoutes } from './routes/calls.js';
import { registerDirectoryRoutes } from './routes/directory.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerHomePage } from './routes/home.js';
import { registerIngestRoutes } from './routes/ingest.js';
import type { SwitchRuntime } from '../pipeline/ingest.js';

export interface AppDeps {
  database: Database;
  bus: CallBus;
  version: string;
  /** The switches pushed records may name, and the digests of the tokens that may push. */
  ingest?: { switches: Map<string, SwitchRuntime>; tokenDigests: string[] };
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof CalltrailError) {
      const status = err.code === 'NOT_FOUND' || err.code === 'SWITCH_UNKNOWN' ? 404 : err.code === 'VALIDATION' ? 400 : 500;
      return reply.status(status).send(errorBody(err));
    }
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    return reply.status(status).send({ error: { code: status < 500 ? 'VALIDATION' : 'INTERNAL', message: (err as Error).message } });
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${req.method} ${req.url}` } }),
  );
  registerHealthRoutes(app, deps);
  registerCallRoutes(app, deps);
  registerDirectoryRoutes(app, deps);
  registerHomePage(app);
  if (deps.ingest) {
    const ingest = registerIngestRoutes(app, { database: deps.database, bus: deps.bus, ...deps.ingest });
    app.addHook('onClose', () => ingest.close());
  }
  return app;
}
