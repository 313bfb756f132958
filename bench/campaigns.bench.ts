import type { Db } from '../src/db/database.js';
import { planRun } from '../src/campaigns/campaign-runs.js';
import { createCampaign, loadCampaignDetail, type CampaignFields } from '../src/campaigns/campaigns.js';
import { launchCampaign } from '../src/campaigns/campaign-commands.js';
import { loadContactRules } from '../src/campaigns/contact-policies.js';
import { fillCampaignDraws } from '../src/campaigns/draws.js';
import { forecastAudience } from '../src/campaigns/forecast.js';
import { refreshAllMetrics } from '../src/segmentation/customer-metrics.js';
import type { SegmentNode } from '../src/segmentation/rules.js';
import { compileDefinition, countCompiled, createSegment } from '../src/segmentation/segments.js';
import { generateBase } from '../src/seed/generate-base.js';
import { closeDatabase, median, openBenchDatabase, report } from './support.js';

const DB = 'cible_bench_1m';
const NOW = new Date('2026-11-01T14:00:00Z');
const ROUNDS = 5;
const LIMITS = { maxDepth: 8 };
const SETTINGS = { defaultTimeZone: 'Europe/Paris', fallbackOrder: ['EMAIL', 'SMS'] as const, limits: LIMITS, latenessLimitMs: 3_600_000 };
const CO2 = { gramsPerEmail: 4, gramsPerSms: 0.014 };

const EVERYONE: SegmentNode = { condition: { field: 'customer.created_at', operator: 'IS_SET' } } as SegmentNode;
const LOST: SegmentNode = { condition: { field: 'metrics.lifecycle_stage', operator: 'EQ', value: { string: 'LOST' } } } as SegmentNode;
const AT_RISK: SegmentNode = { condition: { field: 'metrics.lifecycle_stage', operator: 'EQ', value: { string: 'AT_RISK' } } } as SegmentNode;

/**
 * Contact history a real base would have: a past campaign sent to 10% of customers within the last
 * week, a planned one RESERVED for 2% tomorrow, and own limits (caps, pauses) for 1%. Deterministic.
 */
async function seedHistory(db: Db): Promise<void> {
  await db.pool.query(`TRUNCATE responses, messages, campaign_runs, campaign_segments, campaign_variants, campaigns, customer_contact_preferences CASCADE`);
  await db.pool.query(`DELETE FROM contact_policies WHERE name LIKE 'bench:%'`);
  const { rows } = await db.pool.query<{ id: string }>(
    `INSERT INTO campaigns (name, channel, category, status, owner, priority) VALUES ('bench: history', 'EMAIL', 'MARKETING', 'COMPLETED', 'bench', 5) RETURNING id`,
  );
  const past = await db.pool.query<{ id: string }>(`INSERT INTO campaign_runs (campaign_id, status, scheduled_for) VALUES ($1, 'COMPLETED', $2) RETURNING id`, [rows[0].id, new Date(NOW.getTime() - 3 * 86_400_000)]);
  const planned = await db.pool.query<{ id: string }>(`INSERT INTO campaign_runs (campaign_id, status, scheduled_for) VALUES ($1, 'RUNNING', $2) RETURNING id`, [rows[0].id, new Date(NOW.getTime() - 3_600_000)]);
  await db.pool.query(
    `INSERT INTO messages (run_id, run_at, campaign_id, customer_id, channel, address, variant, outcome, contact_at, reserved_at, sent_at)
     SELECT $1, $2::timestamptz, $3, c.id, 'EMAIL', c.email, 'A', 'SENT', $2::timestamptz + (c.id % 1000) * interval '1 minute', $2::timestamptz, $2::timestamptz
     FROM customers c WHERE c.id % 10 = 3`,
    [past.rows[0].id, new Date(NOW.getTime() - 3 * 86_400_000), rows[0].id],
  );
  await db.pool.query(
    `INSERT INTO messages (run_id, run_at, campaign_id, customer_id, channel, address, variant, outcome, contact_at, reserved_at)
     SELECT $1, $2, $3, c.id, 'EMAIL', c.email, 'A', 'RESERVED', $4, $2 FROM customers c WHERE c.id % 50 = 7`,
    [planned.rows[0].id, new Date(NOW.getTime() - 3_600_000), rows[0].id, new Date(NOW.getTime() + 86_400_000)],
  );
  await db.pool.query(
    `INSERT INTO customer_contact_preferences (customer_id, cap_max, cap_unit, marketing_paused_until)
     SELECT id, CASE WHEN id % 2 = 0 THEN 1 END, CASE WHEN id % 2 = 0 THEN 'WEEK' END, CASE WHEN id % 2 = 1 THEN $1::timestamptz END
     FROM customers WHERE id % 100 = 11`,
    [new Date(NOW.getTime() + 7 * 86_400_000)],
  );
  await db.pool.query(`VACUUM (ANALYZE) messages`);
  await db.pool.query(`VACUUM (ANALYZE) customer_contact_preferences`);
}

async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

/**
 * The audience forecast on the 1M-customer seed with a week of contact history (target < 2 s),
 * against the same run's plain count of the target segments (what any "who is in it" costs), then
 * the planning of a real run of the same campaign into the ledger (1M rows written). The forecast is
 * timed once before the campaign's draws are stored (every bucket drawn live), then the fill the
 * worker runs after a campaign is saved, then the forecast rounds on stored draws.
 */
export async function benchCampaigns(options: { customers: number; transactions: number }): Promise<void> {
  const db = await openBenchDatabase(DB);
  const { rows } = await db.pool.query<{ c: number; v: number }>(`SELECT (SELECT count(*) FROM customers)::int AS c, (SELECT count(value_tier) FROM customer_metrics)::int AS v`);
  if (rows[0].c !== options.customers) await generateBase({ db, customers: options.customers, transactions: options.transactions, seed: 1, now: NOW, reset: true });
  if (rows[0].v === 0) await refreshAllMetrics({ db, now: NOW });
  await seedHistory(db);
  await db.pool.query(`DELETE FROM segments WHERE name LIKE 'bench: campaign %'`);
  const segment = async (name: string, definition: SegmentNode) => (await createSegment({ db, name: `bench: campaign ${name}`, definition, now: NOW, limits: LIMITS })).segment.id;
  const everyone = await segment('everyone', EVERYONE);
  const lost = await segment('lost', LOST);
  const atRisk = await segment('at risk', AT_RISK);
  await db.pool.query(
    `INSERT INTO contact_policies (name, kind, max_messages, calendar_unit, category, segment_id, action) VALUES ('bench: at risk 1 a week', 'CALENDAR_CAP', 1, 'WEEK', 'MARKETING', $1, 'DROP')`,
    [atRisk],
  );
  await db.pool.query(`INSERT INTO contact_policies (name, kind, gap_minutes, channel, action) VALUES ('bench: SMS 12 h gap', 'MIN_GAP', 720, 'SMS', 'FALLBACK')`);

  const variants = [
    { key: 'A', emailSubject: 'Hello {{ first_name | default: "there" }}', emailHtml: '<p>Our news</p>', smsBody: 'Our news' },
    { key: 'B', weight: 2, emailSubject: 'News for {{ city | default: "you" }}', emailText: 'Our news', smsBody: 'News!' },
  ];
  const cases: [string, CampaignFields][] = [
    ['email', { name: 'bench: email', channel: 'EMAIL', targetSegmentIds: [everyone], excludedSegmentIds: [lost], holdoutPercent: 10, variants }],
    ['preferred', { name: 'bench: preferred', channel: 'PREFERRED', targetSegmentIds: [everyone], excludedSegmentIds: [lost], holdoutPercent: 5, maxRecipients: 300_000, variants }],
  ];
  const rules = await loadContactRules(db);
  const union = await compileDefinition({ db, root: { or: [{ segment: everyone }] }, now: NOW, limits: LIMITS });
  for (const [name, input] of cases) {
    const detail = await createCampaign({ db, input, owner: 'bench', now: NOW });
    const forecastNow = () => forecastAudience({ db, detail, rules, now: NOW, settings: SETTINGS, co2: CO2, latenessMs: SETTINGS.latenessLimitMs });
    // Before the worker has stored the campaign's draws (the minutes after it is created, or with no
    // worker running), a forecast draws every bucket live.
    const live = await timed(forecastNow);
    const fill = await timed(() => fillCampaignDraws({ db, campaignId: detail.campaign.id }));
    const ours: number[] = [];
    const counts: number[] = [];
    let forecast;
    for (let i = 0; i < ROUNDS; i++) {
      const f = await timed(forecastNow);
      ours.push(f.ms);
      forecast = f.value;
      counts.push((await timed(() => countCompiled(db, union))).ms);
    }
    report({
      bench: `campaigns.forecast.${name}`,
      targeted: forecast!.targeted,
      expected: forecast!.expected,
      decisions: forecast!.decisions,
      reasons: Object.fromEntries(forecast!.reasons.map((r) => [`${r.outcome}:${r.reason}${r.ruleId ? `:${r.ruleId}` : ''}`, r.count])),
      ms: Math.round(median(ours)),
      segmentCountMs: Math.round(median(counts)),
      ratio: Number((median(ours) / median(counts)).toFixed(2)),
      target: { ms: 2000 },
      liveDrawsMs: Math.round(live.ms),
      sameAsLive: live.value.expected === forecast!.expected && JSON.stringify(live.value.reasons) === JSON.stringify(forecast!.reasons),
      drawsFillMs: Math.round(fill.ms),
      drawChunks: fill.value.chunks,
    });

    const { runId } = await launchCampaign({ db, id: detail.campaign.id, acknowledgeWarnings: true, now: NOW, limits: LIMITS, narrowThreshold: 0 });
    const plan = await timed(() => planRun({ db, runId: runId!, now: NOW, settings: SETTINGS }));
    const ledger = await db.pool.query<{ outcome: string; n: number }>(`SELECT outcome, count(*)::int AS n FROM messages WHERE run_id = $1 GROUP BY outcome ORDER BY outcome`, [runId]);
    const byOutcome = Object.fromEntries(ledger.rows.map((r) => [r.outcome, r.n]));
    const planned = ledger.rows.reduce((a, r) => a + r.n, 0);
    report({
      bench: `campaigns.plan.${name}`,
      outcome: plan.value,
      rows: planned,
      byOutcome,
      ms: Math.round(plan.ms),
      rowsPerSecond: Math.round(planned / (plan.ms / 1000)),
      forecastMatches: (byOutcome.RESERVED ?? 0) + (byOutcome.DEFERRED ?? 0) === forecast!.expected,
    });
    await loadCampaignDetail(db, detail.campaign.id);
  }
  await closeDatabase(db);
}
