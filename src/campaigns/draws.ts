import type pg from 'pg';
import type { Db } from '../db/database.js';
import { bindNamed, loadSqlQueries } from '../db/sql.js';
import { withTransaction } from '../db/transaction.js';
import { bucketSql, type BucketSalt } from './assignment.js';

/*
 * A campaign's buckets, stored (migration 1764700000000). assignment.ts defines a bucket; computing it
 * in PostgreSQL costs ~2.5 µs (SHA-256, then the fold), and every forecast and every run of a campaign
 * draws the same buckets again: two per eligible customer, ~2.5 s of CPU on 1M customers. They are a
 * pure function of (campaign, customer id, salt), so they are computed once per campaign, for every
 * integer id of a chunk (customers who do not exist yet included: nothing ever goes stale), and read
 * back with one array subscript. Ids beyond the stored chunks (customers added since) are drawn live,
 * so a campaign without stored draws gives exactly the same answers, only slower.
 *
 * A worker fills them (maintenance queue) when a campaign is created, duplicated or changed, and the
 * campaigns tick tops them up as the base grows and drops them once a campaign has ended.
 */

const Q = loadSqlQueries(import.meta.url, 'sql/campaign-draws.sql', ['lock', 'needs', 'fill_chunk', 'last_chunk', 'drop', 'drop_salt', 'positions', 'stale', 'wanting'] as const);

/** Ids per stored chunk (a smallint each: 128 KiB a chunk and salt). */
export const DRAW_CHUNK_IDS = 65_536;
const CHUNK_SHIFT = 16;

/** The chunk holding an id. */
const chunkOf = (id: bigint) => Number(id >> BigInt(CHUNK_SHIFT));

/**
 * A campaign's stored buckets of one salt as one two-dimensional array (chunk, position), or NULL
 * unless chunks 0 … n−1 are all there. A sub-select: PostgreSQL evaluates it once per statement (an
 * InitPlan, ~5 ms for 1M ids) and hands the value to parallel workers.
 */
function storedSql(campaignRef: string, salt: BucketSalt): string {
  return `(SELECT CASE WHEN max(d.chunk) = count(*) - 1 THEN array_agg(d.buckets ORDER BY d.chunk) END
           FROM campaign_draws d WHERE d.campaign_id = ${campaignRef} AND d.salt = '${salt}')`;
}

/**
 * The bucket of `idColumn` for a campaign as a SQL expression: read from the stored chunks (one
 * subscript; NULL beyond them) or else drawn live (assignment.ts `bucketSql`). Both give bucketOf
 * exactly. Ids from 2^31 on are always drawn live (subscripts are int4; no base has that many).
 */
export function drawSql(campaignRef: string, idColumn: string, salt: BucketSalt): string {
  const stored = `(${storedSql(campaignRef, salt)})[((${idColumn} >> ${CHUNK_SHIFT}) + 1)::int][((${idColumn} & ${DRAW_CHUNK_IDS - 1}) + 1)::int]`;
  return `COALESCE(CASE WHEN ${idColumn} < 2147483648 THEN ${stored} END, ${bucketSql(campaignRef, idColumn, salt)})`;
}

/**
 * The ids whose stored bucket of `salt` is `bucket` (about one in 10,000), and the first id the
 * stored chunks do not cover (`from`: customers from it up must be looked at by their live draw).
 */
export async function idsInBucket(client: pg.ClientBase, campaignId: string, salt: BucketSalt, bucket: number): Promise<{ ids: string[]; from: string }> {
  const { rows } = await client.query<{ chunk: number; positions: number[]; contiguous: boolean }>(bindNamed(Q.positions, { campaign_id: campaignId, salt, bucket }));
  if (!rows.length || !rows[0].contiguous) return { ids: [], from: '0' };
  const ids = rows.flatMap((r) => r.positions.map((p) => String(r.chunk * DRAW_CHUNK_IDS + p - 1)));
  return { ids, from: String(rows.length * DRAW_CHUNK_IDS) };
}

export interface FillResult {
  /** Chunks written now (per salt, summed). */
  chunks: number;
  /** Chunks stored after the fill, per salt (0 for a salt the campaign does not draw). */
  stored: Record<BucketSalt, number>;
}

/**
 * The last chunk worth storing: the chunk of the largest customer id (or of `upToId`), or the one
 * before the first chunk that holds no customer at all, whichever comes first. Stored chunks must run
 * from 0 without a gap (draws are read by position), so a gap in the ids stops them there; customers
 * beyond it are drawn live.
 */
async function lastChunkToStore(db: Db, upToId?: bigint): Promise<number> {
  if (upToId !== undefined) return chunkOf(upToId);
  return Number((await db.pool.query<{ lastChunk: string }>(Q.last_chunk)).rows[0].lastChunk);
}

/**
 * Stores the buckets a campaign draws (hold-out with a control group or a cap, variant with two
 * variants or more) for every id of the chunks up to lastChunkToStore, appending the chunks that are
 * missing, one transaction per chunk so that a long fill is usable as it goes and a crash keeps what
 * was written. Does nothing for a campaign that has ended or is gone. `upToId` (tests) stores up to
 * its chunk whoever exists.
 */
export async function fillCampaignDraws(options: { db: Db; campaignId: string; upToId?: bigint }): Promise<FillResult> {
  const { db, campaignId } = options;
  const lastChunk = await lastChunkToStore(db, options.upToId);
  const stored: Record<BucketSalt, number> = { holdout: 0, variant: 0 };
  let chunks = 0;
  for (const salt of ['holdout', 'variant'] as const) {
    for (;;) {
      const next = await withTransaction(db, async (client) => {
        await client.query(bindNamed(Q.lock, { campaign_id: campaignId }));
        const needs = (await client.query<Needs>(bindNamed(Q.needs, { campaign_id: campaignId }))).rows[0];
        const wanted = needs?.isLive && (salt === 'holdout' ? needs.needsHoldout : needs.needsVariant);
        let have = needs ? (salt === 'holdout' ? needs.holdoutChunks : needs.variantChunks) : 0;
        if (wanted && (salt === 'holdout' ? needs.holdoutGap : needs.variantGap)) {
          await client.query(bindNamed(Q.drop_salt, { campaign_id: campaignId, salt }));
          have = 0;
        }
        if (!wanted || have > lastChunk) return { have, wrote: false };
        // Chunks run 0 … have−1 and this transaction holds the lock: chunk `have` cannot exist yet.
        const { rowCount } = await client.query(bindNamed(Q.fill_chunk, { campaign_id: campaignId, salt, chunk: have }));
        if (rowCount !== 1) throw new Error(`campaign ${campaignId}: chunk ${have} of ${salt} draws was not written`);
        return { have: have + 1, wrote: true };
      });
      stored[salt] = next.have;
      if (!next.wrote) break;
      chunks += 1;
    }
  }
  return { chunks, stored };
}

interface Needs {
  isLive: boolean;
  needsHoldout: boolean;
  needsVariant: boolean;
  holdoutChunks: number;
  holdoutGap: boolean;
  variantChunks: number;
  variantGap: boolean;
}

/** Removes a campaign's stored draws (a run of an ended campaign never draws again). */
export async function dropCampaignDraws(client: pg.ClientBase, campaignId: string): Promise<void> {
  await client.query(bindNamed(Q.lock, { campaign_id: campaignId }));
  await client.query(bindNamed(Q.drop, { campaign_id: campaignId }));
}

/**
 * Housekeeping for the campaigns tick: drops the draws of campaigns that have ended and returns the
 * live campaigns whose stored draws stop short of lastChunkToStore (to fill).
 */
export async function maintainCampaignDraws(db: Db): Promise<{ dropped: string[]; toFill: string[] }> {
  const stale = (await db.pool.query<{ id: string }>(Q.stale)).rows.map((r) => r.id);
  for (const id of stale) await withTransaction(db, (client) => dropCampaignDraws(client, id));
  const toFill = (await db.pool.query<{ id: string }>(bindNamed(Q.wanting, { max_chunk: await lastChunkToStore(db) }))).rows.map((r) => r.id);
  return { dropped: stale, toFill };
}
