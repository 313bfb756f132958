import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, test } from 'vitest';
import { adminQuery, createTestDb, serverUrl, testDatabaseName } from '../support/databases.js';

/*
 * These tests run the built service (`dist/`, made by `npm run build`, which `npm test` runs first)
 * as a separate process, the way `npm start` does: module loading of the compiled ESM output, the
 * start-up banner, database creation, migrations and signals are all checked on the real thing.
 */
const MAIN = path.resolve('dist/src/main.js');
const created: string[] = [];

afterAll(async () => {
  for (const name of created) await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
});

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

function run(args: string[], env: Record<string, string>): Run {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', LINK_SIGNING_SECRET: 'startup-test-link-secret', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function waitFor(what: () => boolean, ms: number, label: string): Promise<void> {
  const until = Date.now() + ms;
  while (!what()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function freshDatabase(): string {
  const name = testDatabaseName();
  created.push(name);
  return name;
}

describe('the built service', () => {
  test('creates a missing database, migrates it, prints where it is, serves, and exits 0 on SIGTERM', async () => {
    const db = freshDatabase();
    const port = await freePort();
    const dir = await mkdtemp(path.join(tmpdir(), 'cible-'));
    const keyFile = path.join(dir, 'admin-key');
    const p = run([], { DATABASE_URL: serverUrl(db), PORT: String(port), NODE_ENV: 'development', DEV_ADMIN_KEY_FILE: keyFile, QUEUE_PREFIX: `t${port}` });
    await waitFor(() => p.stdout().includes('Local admin key') || p.child.exitCode !== null, 30_000, 'start-up');
    expect(p.stderr()).toBe('');
    expect(p.stdout()).toContain(`GraphQL API:        http://localhost:${port}/graphql`);
    expect(p.stdout()).toContain('Mail catcher:');

    const key = (await readFile(keyFile, 'utf8')).trim();
    expect(p.stdout()).toContain(key);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    expect(await ready.json()).toEqual({ ready: true, checks: { postgres: 'ok', redis: 'ok' } });
    const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: '{ viewer { role } }' }),
    });
    expect(await res.json()).toEqual({ data: { viewer: { role: 'ADMIN' } } });

    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);
  });

  test('several processes starting at once on a new database migrate it exactly once', async () => {
    const db = freshDatabase();
    const ports = [await freePort(), await freePort()];
    const runs = [
      run(['api'], { DATABASE_URL: serverUrl(db), PORT: String(ports[0]), NODE_ENV: 'production' }),
      run(['api'], { DATABASE_URL: serverUrl(db), PORT: String(ports[1]), NODE_ENV: 'production' }),
      run(['worker'], { DATABASE_URL: serverUrl(db), NODE_ENV: 'production', QUEUE_PREFIX: `t${ports[0]}` }),
    ];
    for (const r of runs) await waitFor(() => r.stdout().includes('started') || r.child.exitCode !== null, 30_000, 'start-up');
    for (const r of runs) expect(r.stderr()).toBe('');
    const client = new pg.Client({ connectionString: serverUrl(db) });
    await client.connect();
    const { rows } = await client.query(`SELECT name, count(*)::int AS n FROM migrations GROUP BY name`);
    await client.end();
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) expect(r.n).toBe(1);
    for (const r of runs) r.child.kill('SIGTERM');
    for (const r of runs) expect(await r.exited).toBe(0);
  });

  test('PostgreSQL down: one clear line naming the service, the URL and how to start it; exit 1', async () => {
    const p = run([], { DATABASE_URL: 'postgres://postgres@127.0.0.1:1/cible', PORT: String(await freePort()) });
    expect(await p.exited).toBe(1);
    const lines = p.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^cible: Cannot reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/cible \(ECONNREFUSED\): start it/);
  });

  test('Redis down: one clear line as well', async () => {
    const db = await createTestDb();
    const p = run([], { DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:1', PORT: String(await freePort()), NODE_ENV: 'production' });
    expect(await p.exited).toBe(1);
    await db.drop();
    const lines = p.stderr().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^cible: Cannot reach Redis at redis:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\): start it/);
  });

  test('an invalid configuration is one line naming the variable', async () => {
    const p = run([], { PORT: 'eighty' });
    expect(await p.exited).toBe(1);
    expect(p.stderr().trim()).toMatch(/^cible: invalid configuration: PORT: /);
  });
});
