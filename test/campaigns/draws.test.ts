import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { bucketOf, type BucketSalt } from '../../src/campaigns/assignment.js';
import { createCampaign, type CampaignFields } from '../../src/campaigns/campaigns.js';
import { DRAW_CHUNK_IDS, drawSql, fillCampaignDraws, idsInBucket, maintainCampaignDraws } from '../../src/campaigns/draws.js';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import type { SegmentNode } from '../../src/segmentation/rules.js';
import { createSegment } from '../../src/segmentation/segments.js';
import { campaignsQueue } from '../../src/workers/campaigns.worker.js';
import { maintenanceQueue } from '../../src/workers/maintenance.worker.js';
import { createQueues, type Queues } from '../../src/workers/queues.js';
import { startWorkers, type RunningWorkers } from '../../src/workers/runtime.js';
import { createTestDb, type TestDb } from '../support/databases.js';
import { rng } from '../support/random.js';

/*
 * Stored draws (draws.ts): a campaign's buckets, computed once per chunk of 65,536 ids, read back by
 * the audience query. What is read equals bucketOf on both sides of a chunk boundary and beyond the
 * stored chunks (drawn live); a chunk that is wrong is visibly read (so the test would see a broken
 * read path), a gap makes everything live; fills stop at the first chunk without customers, skip
 * campaigns that draw nothing or have ended, and the worker tick fills and drops them.
 */

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.drop();
});

const NOW = new Date('2026-06-01T10:00:00Z');
const base: CampaignFields = { name: 'draws', channel: 'EMAIL', targetSegmentIds: [], variants: [{ key: 'A', emailSubject: 'Hi', emailText: 'Hi' }] };

async function campaign(fields: Partial<CampaignFields>): Promise<string> {
  const definition = { condition: { field: 'customer.created_at', operator: 'IS_SET' } } as SegmentNode;
  const segment = (await createSegment({ db, name: `all ${randomBytes(3).toString('hex')}`, definition, now: NOW, limits: { maxDepth: 8 } })).segment.id;
  return (await createCampaign({ db, input: { ...base, targetSegmentIds: [segment], ...fields }, owner: 'test', now: NOW })).campaign.id;
}

/** Customers with these exact ids (the identity column is overridden). */
async function customersWithIds(ids: readonly number[]): Promise<void> {
  await db.pool.query(
    `INSERT INTO customers (id, external_id, email) OVERRIDING SYSTEM VALUE
     SELECT i, 'draws-' || i, 'd' || i || '@example.test' FROM unnest($1::bigint[]) AS i ON CONFLICT DO NOTHING`,
    [ids],
  );
}

/** The audience query's draw for each id, next to bucketOf: the ids whose draws differ. */
async function wrongDraws(campaignId: string, salt: BucketSalt, ids: readonly number[]): Promise<number[]> {
  const { rows } = await db.pool.query<{ id: string; b: number }>(
    `SELECT t.id::text AS id, ${drawSql('$1::bigint', 't.id', salt)} AS b FROM unnest($2::bigint[]) AS t (id)`,
    [campaignId, ids],
  );
  return rows.filter((r) => r.b !== bucketOf(campaignId, r.id, salt)).map((r) => Number(r.id));
}

const chunks = async (campaignId: string) =>
  (await db.pool.query<{ salt: string; n: number }>(`SELECT salt, count(*)::int AS n FROM campaign_draws WHERE campaign_id = $1 GROUP BY salt ORDER BY salt`, [campaignId])).rows;

/** Ids on both sides of each chunk boundary up to `chunkCount`, and a random spread. */
function sampleIds(chunkCount: number): number[] {
  const r = rng(7);
  const ids = new Set<number>([1, 2, 3]);
  for (let k = 1; k <= chunkCount; k++) for (const d of [-2, -1, 0, 1]) ids.add(k * DRAW_CHUNK_IDS + d);
  for (let i = 0; i < 400; i++) ids.add(1 + Math.floor(r() * (chunkCount + 1) * DRAW_CHUNK_IDS));
  return [...ids].sort((a, b) => a - b);
}

describe('reading stored draws', () => {
  test('stored chunks give bucketOf on both sides of a chunk boundary, and ids beyond them are drawn live', async () => {
    const id = await campaign({ holdoutPercent: 10, variants: [{ key: 'A', emailText: 'A' }, { key: 'B', emailText: 'B' }] });
    const filled = await fillCampaignDraws({ db, campaignId: id, upToId: BigInt(DRAW_CHUNK_IDS + 5) });
    expect(filled).toEqual({ chunks: 4, stored: { holdout: 2, variant: 2 } });
    // Chunks 0 and 1 are stored, chunk 2 is not: its ids are drawn live.
    const ids = sampleIds(2);
    expect(await wrongDraws(id, 'holdout', ids)).toEqual([]);
    expect(await wrongDraws(id, 'variant', ids)).toEqual([]);
    // A second fill finds nothing to add.
    expect((await fillCampaignDraws({ db, campaignId: id, upToId: BigInt(DRAW_CHUNK_IDS + 5) })).chunks).toBe(0);
  });

  test('the ids of one bucket are found in the stored chunks, up to where they end', async () => {
    const id = await campaign({ maxRecipients: 100 });
    await fillCampaignDraws({ db, campaignId: id, upToId: BigInt(DRAW_CHUNK_IDS + 5) });
    const client = await db.pool.connect();
    try {
      const found = await idsInBucket(client, id, 'holdout', 4321);
      const want: string[] = [];
      for (let x = 0; x < 2 * DRAW_CHUNK_IDS; x++) if (bucketOf(id, String(x), 'holdout') === 4321) want.push(String(x));
      expect(found).toEqual({ ids: want, from: String(2 * DRAW_CHUNK_IDS) });
      expect(want.length).toBeGreaterThan(3);
      expect(await idsInBucket(client, id, 'variant', 4321)).toEqual({ ids: [], from: '0' });
    } finally {
      client.release();
    }
  });

  test('what is stored is what is read (a wrong chunk shows), and a gap in the chunks makes every draw live', async () => {
    const id = await campaign({ holdoutPercent: 5 });
    await fillCampaignDraws({ db, campaignId: id, upToId: BigInt(DRAW_CHUNK_IDS + 5) });
    const ids = sampleIds(1);
    await db.pool.query(`UPDATE campaign_draws SET buckets = array_fill(0::smallint, ARRAY[65536]) WHERE campaign_id = $1 AND salt = 'holdout' AND chunk = 1`, [id]);
    const wrong = await wrongDraws(id, 'holdout', ids);
    // Every id of chunk 1 now reads bucket 0: those whose true bucket is not 0 differ, the others do not.
    expect(wrong.length).toBeGreaterThan(100);
    expect(wrong.every((x) => x >= DRAW_CHUNK_IDS && x < 2 * DRAW_CHUNK_IDS)).toBe(true);
    // Without chunk 0 the stored chunks no longer start at 0: nothing is read from them.
    await db.pool.query(`DELETE FROM campaign_draws WHERE campaign_id = $1 AND salt = 'holdout' AND chunk = 0`, [id]);
    expect(await wrongDraws(id, 'holdout', ids)).toEqual([]);
    // The next fill throws such chunks away and stores them again, right.
    expect(await fillCampaignDraws({ db, campaignId: id, upToId: BigInt(DRAW_CHUNK_IDS + 5) })).toEqual({ chunks: 2, stored: { holdout: 2, variant: 0 } });
    expect(await wrongDraws(id, 'holdout', ids)).toEqual([]);
    expect(await chunks(id)).toEqual([{ salt: 'holdout', n: 2 }]);
  });
});

describe('filling', () => {
  test('a fill stores chunks up to the last customer, stopping at the first chunk nobody is in', async () => {
    await customersWithIds([5, 6, DRAW_CHUNK_IDS + 3, 3 * DRAW_CHUNK_IDS + 1]);
    const id = await campaign({ holdoutPercent: 10 });
    // Chunks 0 and 1 hold customers, chunk 2 nobody: chunk 3's customer is drawn live.
    expect(await fillCampaignDraws({ db, campaignId: id })).toEqual({ chunks: 2, stored: { holdout: 2, variant: 0 } });
    expect(await wrongDraws(id, 'holdout', [5, DRAW_CHUNK_IDS + 3, 3 * DRAW_CHUNK_IDS + 1])).toEqual([]);
  });

  test('a campaign that draws nothing stores nothing; an ended one is dropped by the housekeeping and not filled again', async () => {
    const plain = await campaign({});
    expect((await fillCampaignDraws({ db, campaignId: plain })).chunks).toBe(0);

    const ended = await campaign({ maxRecipients: 10 });
    expect((await fillCampaignDraws({ db, campaignId: ended })).stored.holdout).toBeGreaterThan(0);
    const live = await campaign({ holdoutPercent: 1 });
    await db.pool.query(`UPDATE campaigns SET status = 'CANCELLED' WHERE id = $1`, [ended]);
    const { dropped, toFill } = await maintainCampaignDraws(db);
    expect(dropped).toContain(ended);
    expect(toFill).toContain(live);
    expect(toFill).not.toContain(ended);
    expect(toFill).not.toContain(plain);
    expect(await chunks(ended)).toEqual([]);
    expect((await fillCampaignDraws({ db, campaignId: ended })).chunks).toBe(0);
  });
});

describe('the workers', () => {
  let redis: Redis;
  let queues: Queues;
  let workers: RunningWorkers;
  beforeAll(async () => {
    const config = loadConfig({ ...process.env, NODE_ENV: 'test', LOG_LEVEL: 'silent', DATABASE_URL: db.url, QUEUE_PREFIX: `test-${randomBytes(4).toString('hex')}` });
    redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    queues = createQueues(redis, config.queuePrefix);
    workers = startWorkers({ config, db, logger: createLogger(config), redis, queues: [campaignsQueue, maintenanceQueue] });
  });
  afterAll(async () => {
    await workers?.close();
    await queues?.maintenance.obliterate({ force: true }).catch(() => undefined);
    await queues?.campaigns.obliterate({ force: true }).catch(() => undefined);
    await queues?.close();
    redis?.disconnect();
  });

  test('a tick stores the draws of live campaigns that lack them', async () => {
    await customersWithIds([7]);
    const id = await campaign({ holdoutPercent: 10, variants: [{ key: 'A', emailText: 'A' }, { key: 'B', emailText: 'B' }] });
    const want = (await maintainCampaignDraws(db)).toFill.includes(id);
    expect(want).toBe(true);
    await queues.campaigns.add('tick', {});
    const until = Date.now() + 20_000;
    while ((await chunks(id)).length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    const stored = await chunks(id);
    expect(stored.map((c) => c.salt)).toEqual(['holdout', 'variant']);
    expect(await wrongDraws(id, 'variant', sampleIds(1))).toEqual([]);
  });
});
