import Fastify, { type FastifyInstance } from 'fastify';
import { CalltrailError, errorBody } from '../core/errors.js';
import type { CallBus } from '../pipeline/bus.js';
import type { Database } from '../store/database.js';
import { registerCallRoutes } from './routes/calls.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerHomePage } from './routes/home.js';

export interface AppDeps {
  database: Database;
  bus: CallBus;
  version: string;
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
  registerHomePage(app);
  return app;
}
