import 'reflect-metadata';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../src/config.js';
import { closeDatabase, openDatabase, type Db } from '../src/db/database.js';

/** Where benchmark databases live: DATABASE_URL's server, with bench-specific database names. */
export function benchDatabaseUrl(name: string): string {
  const url = new URL(loadConfig().databaseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Prints one result as a JSON line (the benchmark's output format). */
export function report(result: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: benchDatabaseUrl('postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Drops and recreates a bench database, migrated. */
export async function freshDatabase(name: string): Promise<Db> {
  await adminQuery(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  return openDatabase({ config: { databaseUrl: benchDatabaseUrl(name), databasePoolSize: 10, databaseCreateIfMissing: true }, migrate: true });
}

export async function openBenchDatabase(name: string): Promise<Db> {
  return openDatabase({ config: { databaseUrl: benchDatabaseUrl(name), databasePoolSize: 10, databaseCreateIfMissing: true }, migrate: true });
}

export { closeDatabase };

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Runs a built script (`dist/...`) as a child process and resolves with its stdout once it exits 0. */
export function runNode(script: string, args: string[], env: Record<string, string>, nodeFlags: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, path.resolve(script), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${script} exited with ${code}`))));
  });
}

/** Starts a long-running built script and resolves once its stdout contains `ready`. */
export function startNode(script: string, args: string[], env: Record<string, string>, ready: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.resolve(script), ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes(ready)) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`${script} exited with ${code} before it was ready`)));
  });
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.on('exit', r));
  child.kill('SIGTERM');
  await exited;
}
