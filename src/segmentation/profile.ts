import type { Db } from '../db/database.js';
import { bindNamed, loadSqlQueries } from '../db/sql.js';
import { withTransaction } from '../db/transaction.js';
import { loadAttributeCatalogue } from '../ingestion/attribute-catalogue.js';
import { compileSegmentList } from './compile-segment.js';
import { buildFieldRegistry } from './fields/registry.js';
import { loadSegmentReferences, type SegmentLimits } from './segments.js';

const Q = loadSqlQueries(import.meta.url, 'sql/profile.sql', ['age_band', 'value', 'distributions'] as const);

/** The value metrics compared between a segment and the base (customer_metrics columns). */
export const PROFILE_METRICS = ['total_spent', 'purchase_count', 'recency_days', 'clv_predicted', 'average_order_value'] as const;
export type ProfileMetric = (typeof PROFILE_METRICS)[number];

/** Dimensions of the distributions, in GROUPING's argument order (profile.sql). */
export const PROFILE_DIMENSIONS = ['lifecycle_stage', 'rfm_group', 'value_tier', 'country', 'city', 'gender', 'signup_channel', 'age_band'] as const;
export type ProfileDimension = (typeof PROFILE_DIMENSIONS)[number];

export interface MetricStats {
  metric: ProfileMetric;
  mean: number | null;
  median: number | null;
  baseMean: number | null;
  baseMedian: number | null;
}

export interface Bucket {
  /** The value (null: unknown / not set). */
  value: string | null;
  count: number;
  baseCount: number;
}

export interface Distribution {
  dimension: ProfileDimension;
  buckets: Bucket[];
  /** Customers beyond the top N values, in the segment and in the base. */
  restCount: number;
  restBaseCount: number;
}

export interface Engagement {
  received30d: number;
  opened30d: number;
  clicked30d: number;
  received90d: number;
  converted90d: number;
}

export interface SegmentProfile {
  size: number;
  baseSize: number;
  metrics: MetricStats[];
  revenue: number;
  baseRevenue: number;
  revenueLast90d: number;
  predictedClv: number;
  reach: { channel: 'EMAIL' | 'SMS'; count: number; baseCount: number }[];
  engagement: Engagement;
  baseEngagement: Engagement;
  distributions: Distribution[];
  sensitiveFields: string[];
  evaluationMs: number;
}

/** Memory for the pass: hashed membership tests and the grouping sets stay in memory (see SNAPSHOT_WORK_MEM). */
const PROFILE_WORK_MEM = '256MB';

/**
 * Characterises a segment against the whole base: value metrics (means, medians), revenue and CLV,
 * reachability per channel, engagement, and distributions over lifecycle, RFM group, value tier,
 * country, city, gender, age band and signup channel (top `topN` values of each). The segment is
 * evaluated once, into a temporary table with the dimensions; two passes over it do the rest.
 */
export async function profileSegment(options: { db: Db; root: unknown; now: Date; limits: SegmentLimits; topN: number; path?: string }): Promise<SegmentProfile> {
  const { db, now } = options;
  const t0 = performance.now();
  const [catalogue, refs] = await Promise.all([loadAttributeCatalogue(db), loadSegmentReferences(db)]);
  const cond = (field: string) => ({ condition: { field, operator: 'EQ', value: { boolean: true } } });
  const compiled = compileSegmentList(
    [
      { root: options.root, path: options.path ?? 'definition' },
      { root: cond('reachable.email'), path: 'reachable.email' },
      { root: cond('reachable.sms'), path: 'reachable.sms' },
    ],
    { registry: buildFieldRegistry(catalogue), now, resolveSegment: (id) => refs.get(id) ?? null, maxDepth: options.limits.maxDepth + 1 },
  );
  const [member, email, sms] = compiled.conditions;
  const today = `$${compiled.params.length + 1}`;
  const base = `CREATE TEMP TABLE profile_base ON COMMIT DROP AS
    SELECT c.id, coalesce(${member}, false) AS member, coalesce(${email}, false) AS reach_email, coalesce(${sms}, false) AS reach_sms,
           c.country, c.city, c.gender, c.signup_channel, ${Q.age_band.replaceAll('{{today}}', today)} AS age_band
    ${compiled.from}
    WHERE c.erased_at IS NULL`;
  return withTransaction(db, async (client) => {
    await client.query(`SET LOCAL work_mem = '${PROFILE_WORK_MEM}'`);
    await client.query(base, [...compiled.params, now.toISOString().slice(0, 10)]);
    await client.query('ANALYZE profile_base');
    const v = (await client.query<Record<string, number | null>>(Q.value)).rows[0];
    const d = await client.query<Record<string, string | number | null> & { g: number; n: number; base_n: number; rest_n: string; rest_base_n: string }>(
      bindNamed(Q.distributions, { top_n: options.topN }),
    );
    const distributions = PROFILE_DIMENSIONS.map((dimension): Distribution => ({ dimension, buckets: [], restCount: 0, restBaseCount: 0 }));
    const all = (1 << PROFILE_DIMENSIONS.length) - 1;
    for (const row of d.rows) {
      // The grouped dimension is the one whose GROUPING bit is 0; bits run from the last argument up.
      const i = PROFILE_DIMENSIONS.findIndex((_, k) => (all ^ row.g) === 1 << (PROFILE_DIMENSIONS.length - 1 - k));
      const dist = distributions[i];
      const value = row[PROFILE_DIMENSIONS[i]];
      dist.buckets.push({ value: value === null ? null : String(value), count: row.n, baseCount: row.base_n });
      dist.restCount = Number(row.rest_n);
      dist.restBaseCount = Number(row.rest_base_n);
    }
    const n = (x: number | null) => (x === null ? null : Number(x));
    return {
      size: v.size as number,
      baseSize: v.base_size as number,
      metrics: PROFILE_METRICS.map((metric) => ({
        metric,
        mean: n(v[`${metric}_mean`]),
        median: n(v[`${metric}_median`]),
        baseMean: n(v[`${metric}_base_mean`]),
        baseMedian: n(v[`${metric}_base_median`]),
      })),
      revenue: v.revenue as number,
      baseRevenue: v.base_revenue as number,
      revenueLast90d: v.revenue_90d as number,
      predictedClv: v.predicted_clv as number,
      reach: [
        { channel: 'EMAIL', count: v.reach_email as number, baseCount: v.base_reach_email as number },
        { channel: 'SMS', count: v.reach_sms as number, baseCount: v.base_reach_sms as number },
      ],
      engagement: {
        received30d: v.received_30d as number,
        opened30d: v.opened_30d as number,
        clicked30d: v.clicked_30d as number,
        received90d: v.received_90d as number,
        converted90d: v.converted_90d as number,
      },
      baseEngagement: {
        received30d: v.base_received_30d as number,
        opened30d: v.base_opened_30d as number,
        clicked30d: v.base_clicked_30d as number,
        received90d: v.base_received_90d as number,
        converted90d: v.base_converted_90d as number,
      },
      distributions,
      sensitiveFields: compiled.sensitiveFields.filter((f) => !f.startsWith('reachable.')),
      evaluationMs: Math.round(performance.now() - t0),
    };
  });
}
