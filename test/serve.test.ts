import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startCli } from './support/cli.js';
import { ENGINES } from './support/engines.js';

const SEED_004 = resolve('src/formats/cdrstats-csv/fixtures/seed-004.csv');

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'calltrail-serve-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function configWithFileSource(name: string): string {
  const path = join(tmp, `${name}.yaml`);
  writeFileSync(
    path,
    ['switches:', '  - name: madrid', '    format: cdrstats-csv', '    timezone: Europe/Madrid', '    sources:', `      - { type: file, path: ${SEED_004} }`, ''].join('\n'),
  );
  return path;
}

async function getJson(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

for (const engine of ENGINES) {
  describe.skipIf(!engine.available)(`calltrail serve on ${engine.name}`, () => {
    it('answers health, stores what its file source reads, serves the page, and stops cleanly', async () => {
      const store = await engine.location();
      // Its own working directory: on PostgreSQL the journal goes to ./data/journal.
      const cwd = mkdtempSync(join(tmp, `serve-${engine.name}-`));
      const server = startCli(['serve', '--config', configWithFileSource(engine.name), '--port', '0', '--host', '127.0.0.1', ...store.cliArgs], { cwd });
      try {
        const [, base] = await server.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+) /);
        const health = await getJson(`${base}/api/health`);
        expect(health).toMatchObject({ status: 'ok', database: { engine: engine.name, migration: 4, latestMigration: 4 } });
        expect((health.database as { version: string }).version).toMatch(engine.name === 'postgres' ? /^PostgreSQL 15\./ : /PGlite/);

        let calls: { callId: string; switch: string }[] = [];
        for (let i = 0; i < 100 && calls.length < 5; i++) {
          calls = (await getJson(`${base}/api/calls`)).calls as typeof calls;
          if (calls.length < 5) await new Promise((r) => setTimeout(r, 100));
        }
        // In start order; the last three started in the same second.
        expect(calls.map((c) => c.switch)).toEqual(['madrid', 'madrid', 'madrid', 'madrid', 'madrid']);
        expect(calls.slice(0, 2).map((c) => c.callId.slice(0, 8))).toEqual(['96aa82fe', 'c9135e4a']);
        expect(calls.slice(2).map((c) => c.callId.slice(0, 8)).sort()).toEqual(['3c64a168', '41b20dd9', 'cfaf8b56']);
        expect(calls).toHaveLength(5);

        const bad = await fetch(`${base}/api/calls?limit=0`);
        expect(bad.status).toBe(400);
        expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('VALIDATION');
        const switches = (await getJson(`${base}/api/switches`)).switches;
        expect(switches).toEqual([{ name: 'madrid', tenant: 'default', format: 'cdrstats-csv', timezone: 'Europe/Madrid' }]);
        const page = await fetch(`${base}/`);
        expect(page.headers.get('content-type')).toContain('text/html');
        expect(await page.text()).toContain('<title>Calltrail</title>');

        if (store.dir) {
          const second = await runCli(['serve', '--port', '0', '--data', store.dir]);
          expect(second.code).toBe(1);
          expect(second.stderr).toMatch(/^calltrail: data directory .* is in use by process \d+ on .* \(calltrail serve, since .*\); stop it first/);
        }
      } finally {
        expect(await server.stop()).toBe(0);
        if (store.dir) expect(existsSync(join(store.dir, 'calltrail.lock'))).toBe(false);
        await store.cleanup();
      }
    });
  });
}

describe('calltrail serve with no configuration', () => {
  it('runs the marked demo: simulated PBXs of three formats send calls at once; --no-demo removes what it stored', async () => {
    const cwd = mkdtempSync(join(tmp, 'newcomer-'));
    const server = startCli(['serve', '--port', '0', '--host', '127.0.0.1'], { cwd });
    try {
      await server.waitFor(/DEMO MODE: no calltrail\.yaml, so simulated PBXs \(demo-panasonic, demo-mitel, demo-avaya\)/);
      const [, base] = await server.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+) /);
      let seen = new Set<string>();
      for (let i = 0; i < 300 && seen.size < 3; i++) {
        const calls = (await getJson(`${base}/api/calls`)).calls as { switch: string }[];
        seen = new Set(calls.map((c) => c.switch));
        if (seen.size < 3) await new Promise((r) => setTimeout(r, 100));
      }
      expect([...seen].sort()).toEqual(['demo-avaya', 'demo-mitel', 'demo-panasonic']);
    } finally {
      expect(await server.stop()).toBe(0);
    }
    expect(existsSync(join(cwd, 'data', 'journal', 'demo'))).toBe(true); // the demo collector's own journal
    const quiet = startCli(['serve', '--port', '0', '--host', '127.0.0.1', '--no-demo'], { cwd });
    try {
      const [, removed] = await quiet.waitFor(/the demo is over: removed its 3 switch\(es\) and their (\d+) call\(s\)/);
      expect(Number(removed)).toBeGreaterThanOrEqual(3);
      const [, base] = await quiet.waitFor(/serving (http:\/\/127\.0\.0\.1:\d+) /);
      expect(quiet.output.stderr).not.toContain('DEMO MODE');
      expect((await getJson(`${base}/api/switches`)).switches).toEqual([]);
      expect((await getJson(`${base}/api/calls`)).calls).toEqual([]);
      expect(((await getJson(`${base}/api/collectors`)).collectors as { id: string }[]).map((c) => c.id)).not.toContain('demo');
      expect(existsSync(join(cwd, 'data', 'journal', 'demo'))).toBe(false);
    } finally {
      expect(await quiet.stop()).toBe(0);
    }
  }, 90_000);
});

describe('calltrail serve without a database', () => {
  it('exits with a clear message when PostgreSQL is unreachable', async () => {
    const r = await runCli(['serve', '--port', '0', '--database', 'postgres://calltrail:pw@127.0.0.1:9/calltrail']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^calltrail: cannot connect to postgres:\/\/calltrail:\*\*\*@127\.0\.0\.1:9\/calltrail: .*ECONNREFUSED/);
  });
});

describe('calltrail collect --debug', () => {
  it('prints every record, its parse, and what was stored', async () => {
    const dir = join(tmp, 'collect-data');
    const collector = startCli(['collect', '--debug', '--config', configWithFileSource('collect'), '--data', dir]);
    try {
      await collector.waitFor(/batch committed: 5 new call\(s\), 0 duplicate\(s\)/, 'stdout');
      const out = collector.output.stdout;
      expect(out).toContain('[madrid/file-1 #1] "switch,cdr_source_type,');
      expect(out).toContain('  → skipped: header line');
      expect(out).toContain('  → call 96aa82fe-7bd1-11e5-a230-5c514f6a0f72 inbound 2015-10-21T12:13:10+02:00 904151440 → 34798400122 talk 50s answered');
    } finally {
      expect(await collector.stop()).toBe(0);
    }
  });
});
