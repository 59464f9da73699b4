import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallBus } from '../../pipeline/bus.js';
import { pgliteEngine, type TestStore } from '../../../test/support/engines.js';
import { buildApp } from '../app.js';

let store: TestStore;
beforeAll(async () => {
  store = await pgliteEngine.create();
});
afterAll(() => store.cleanup());

describe('directory API', () => {
  it('adds entries with their periods, refuses an overlap, and lists them by tenant', async () => {
    const app = await buildApp({ database: store.database, bus: new CallBus(), version: 'test' });
    try {
      const add = (body: object) => app.inject({ method: 'POST', url: '/api/directory', payload: body });
      expect((await add({ extension: '201', person: 'Ana Ruiz', department: 'Sales', validTo: '2026-03-14' })).statusCode).toBe(201);
      // She moves to Support on the 15th.
      expect((await add({ extension: '201', person: 'Ana Ruiz', department: 'Support', validFrom: '2026-03-15' })).statusCode).toBe(201);
      const overlap = await add({ extension: '201', person: 'Bo', department: 'Sales', validFrom: '2026-03-10', validTo: '2026-03-20' });
      expect(overlap.statusCode).toBe(400);
      expect(overlap.json().error.message).toMatch(/201/);
      const bad = await add({ extension: 'abc' });
      expect(bad.statusCode).toBe(400);
      expect(bad.json().error.message).toBe('directory entry: extension: expected the extension’s digits');
      expect((await add({ tenant: 'acme', extension: '9', department: 'Ops' })).statusCode).toBe(201);

      const listed = (await app.inject({ method: 'GET', url: '/api/directory?tenant=default' })).json().entries;
      expect(listed).toEqual([
        { tenantId: 'default', extension: '201', person: 'Ana Ruiz', department: 'Sales', costCentre: null, validFrom: null, validTo: '2026-03-14' },
        { tenantId: 'default', extension: '201', person: 'Ana Ruiz', department: 'Support', costCentre: null, validFrom: '2026-03-15', validTo: null },
      ]);
      expect((await app.inject({ method: 'GET', url: '/api/directory' })).json().entries).toHaveLength(3);
    } finally {
      await app.close();
    }
  });
});
