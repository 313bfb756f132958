import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { createApiKey } from '../src/auth/api-keys.js';
import { Role } from '../src/schema/enums.js';
import { generateBase } from '../src/seed/generate-base.js';
import { benchDatabaseUrl, closeDatabase, freePort, median, openBenchDatabase, report, startNode, stop } from './support.js';

/** The page the brief's target names: 50 customers, each with its consents and last 3 transactions. */
export const CUSTOMER_PAGE = `query Page($first: Int!) {
  customers(first: $first) {
    pageInfo { hasNextPage endCursor }
    nodes {
      id externalId email firstName lastName country city loyaltyTier createdAt
      consents { channel status changedAt }
      transactions(first: 3) { id amount currency occurredAt category }
    }
  }
}`;

const DB = 'cible_bench_api';
const DURATION_S = 10;
const ROUNDS = 3;

async function load(url: string, key: string | null): Promise<autocannon.Result> {
  return autocannon({
    url,
    method: 'POST',
    connections: 10,
    duration: DURATION_S,
    headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) },
    body: JSON.stringify({ query: CUSTOMER_PAGE, variables: { first: 50 } }),
  });
}

/**
 * API throughput: Cible's real `customers(first: 50)` page (auth, cost check, DataLoaders, PostgreSQL)
 * against a bare Apollo Server returning the same response from memory, alternating rounds so that
 * both see the same machine noise; medians of requests/s and p99 latency, and their ratio.
 */
export async function benchApi(options: { customers: number }): Promise<void> {
  const db = await openBenchDatabase(DB);
  const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM customers`);
  if (rows[0].n < options.customers) await generateBase({ db, customers: options.customers, seed: 7, now: new Date('2026-11-01T00:00:00Z'), reset: true });
  const key = (await createApiKey({ db, name: 'bench', role: Role.MARKETER })).secret;
  await closeDatabase(db);

  const cible = await freePort();
  const bare = await freePort();
  const server = await startNode('dist/src/main.js', ['api'], { DATABASE_URL: benchDatabaseUrl(DB), PORT: String(cible), NODE_ENV: 'production', LOG_LEVEL: 'warn' }, 'started');
  try {
    const res = await fetch(`http://127.0.0.1:${cible}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: CUSTOMER_PAGE, variables: { first: 50 } }),
    });
    const body = (await res.json()) as { data: unknown; errors?: unknown };
    if (body.errors) throw new Error(`the benchmark query failed: ${JSON.stringify(body.errors)}`);
    const responseFile = path.join(tmpdir(), `cible-bench-response-${cible}.json`);
    await writeFile(responseFile, JSON.stringify(body.data));
    const baseline = await startNode('dist/bench/bare-apollo-server.js', [String(bare), responseFile], {}, 'ready');
    try {
      const ours: autocannon.Result[] = [];
      const theirs: autocannon.Result[] = [];
      await load(`http://127.0.0.1:${cible}/graphql`, key); // warm-up: JIT, pools, caches
      await load(`http://127.0.0.1:${bare}/graphql`, null);
      for (let i = 0; i < ROUNDS; i++) {
        ours.push(await load(`http://127.0.0.1:${cible}/graphql`, key));
        theirs.push(await load(`http://127.0.0.1:${bare}/graphql`, null));
      }
      const rps = median(ours.map((r) => r.requests.average));
      const bareRps = median(theirs.map((r) => r.requests.average));
      const errors = ours.reduce((n, r) => n + r.errors + r.non2xx, 0);
      report({
        bench: 'api.customers_page_50',
        rounds: ROUNDS,
        durationSeconds: DURATION_S,
        connections: 10,
        requestsPerSecond: Math.round(rps),
        p99Ms: median(ours.map((r) => r.latency.p99)),
        bareApolloRequestsPerSecond: Math.round(bareRps),
        bareApolloP99Ms: median(theirs.map((r) => r.latency.p99)),
        ratio: Number((rps / bareRps).toFixed(2)),
        target: { ratio: 0.7, p99Ms: 100 },
        errors,
      });
    } finally {
      await stop(baseline);
    }
  } finally {
    await stop(server);
  }
}
