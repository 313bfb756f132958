import type { Db } from '../db/database.js';
import { withTransaction } from '../db/transaction.js';
import {
  decideOutcome,
  decisionInput,
  findCut,
  HISTOGRAM_SQL,
  keyOf,
  resolveMembers,
  toMember,
  type AudienceMember,
  type AudienceOutcome,
  type DecisionKey,
} from './audience.js';
import { AUDIENCE_WORK_MEM, compileAudience, contactWindowStart, loadContactInputs, MEMBER_COLUMNS, overSql, type AudienceSettings } from './audience-query.js';
import type { CampaignDetail } from './campaigns.js';
import type { Channel, ContactRule } from './contact-policy.js';
import { idsInBucket } from './draws.js';

/*
 * The pre-send forecast: who a campaign would reach now, and why not, with the same precedence and
 * the same rules as a run (audience.ts). Counts only: one aggregate pass over the base (two with a
 * maxRecipients cap: first the histogram of hold-out buckets that places the cut), then the rules on
 * distinct inputs and on the few customers resolved one by one
 * (shared addresses, and the cut's bucket, read by id from the campaign's stored draws).
 *
 * The pass is written for PostgreSQL's parallel partial aggregation: every group key is a boolean or
 * an expression of columns with few values (a key computed from the customer id would make the
 * planner expect a group per customer and aggregate 1M rows in the leader). Customers are grouped on
 * what decides their outcome, not on the outcome: their route (reach.ts), whether they are excluded,
 * their policy segments, time zone, draws and contact inputs; reasons, channels and decisions are
 * derived here, once per group.
 */

export interface ReasonCount {
  /** EXCLUDED, NO_CONSENT, NO_ADDRESS, BLOCKLISTED, DUPLICATE_ADDRESS, HELD_OUT, OVER_MAX_RECIPIENTS, SKIPPED_LATE, or a rule's reason (CAP_REACHED, MIN_GAP, QUIET_HOURS, WEEKDAY, CUSTOMER_CAP, CUSTOMER_PAUSED). */
  reason: string;
  /** The contact policy (or customer override) behind a rule reason. */
  ruleId: string | null;
  /** What happens: SUPPRESSED, HELD_OUT, DEFERRED (still sent later, before expiry) or EXPIRED. */
  outcome: 'SUPPRESSED' | 'HELD_OUT' | 'DEFERRED' | 'EXPIRED';
  count: number;
}

export interface ChannelCount {
  channel: Channel;
  /** Expected to be sent on this channel (now or deferred). */
  expected: number;
  /** Sent now (not deferred). */
  now: number;
  /** Messages on this channel if everyone targeted were sent one on their intended channel. */
  everyone: number;
  /** everyone − expected (never below 0): messages avoided by targeting, consent and rules. */
  avoided: number;
}

export interface AudienceForecast {
  /** Customers in the target segments (union). */
  targeted: number;
  /** Removed by excluded segments. */
  excluded: number;
  /** Every person not sent to, by reason (one reason each), largest first. */
  reasons: ReasonCount[];
  heldOut: number;
  /** Expected messages: sent now plus deferred (a deferral is only decided when it fits before expiry). */
  expected: number;
  deferred: number;
  byChannel: ChannelCount[];
  byVariant: { variant: string; expected: number }[];
  avoided: number;
  /** avoided emails × gramsPerEmail + avoided SMS × gramsPerSms. */
  co2SavedGrams: number;
  /** Distinct inputs the rules were run on (groups plus customers resolved one by one). */
  decisions: number;
  ms: number;
}

export interface Co2Factors {
  gramsPerEmail: number;
  gramsPerSms: number;
}

interface Row {
  is_excluded: boolean;
  route: number;
  tz: string;
  held_out: boolean;
  over?: boolean;
  at_cut?: boolean;
  hist: number | null;
  n: string;
  [bit: `v${number}` | `s${number}`]: boolean | null;
}

/** Bits of a variant index: variant_idx is grouped as booleans (see the note above). */
const variantBits = (n: number) => Math.max(0, Math.ceil(Math.log2(n)));

/** Forecasts a campaign's audience at `now` against today's contact history. */
export async function forecastAudience(options: {
  db: Db;
  detail: CampaignDetail;
  rules: readonly ContactRule[];
  now: Date;
  settings: AudienceSettings;
  co2: Co2Factors;
  latenessMs: number;
}): Promise<AudienceForecast> {
  const t0 = performance.now();
  const { db, detail, rules, now } = options;
  const max = detail.campaign.maxRecipients;
  // Contact history is read on another connection, with the server's own work_mem (a parallel sort),
  // while this one reads the maps of the segments' filtered joins (compileAudience).
  const early = loadContactInputs(db.pool, contactWindowStart(rules, now, options.latenessMs));
  early.catch(() => undefined); // awaited in compileAudience; a failure before then must not go unhandled
  const { rows, shared, cutMembers, cut, q } = await withTransaction(db, async (client) => {
    await client.query(`SET LOCAL work_mem = '${AUDIENCE_WORK_MEM}'`);
    await client.query('SET LOCAL jit = off');
    const anyShared = (await client.query(`SELECT 1 FROM customers WHERE email_shared OR phone_shared LIMIT 1`)).rowCount;
    const q = await compileAudience({ db: client, detail, rules, now, settings: options.settings, latenessMs: options.latenessMs, contact: early });
    let histogram: { hb: number; n: string }[] = [];
    if (max !== null) {
      const counts = q.sqlOf('counts');
      histogram = (await client.query<{ hb: number; n: string }>(`${counts.sql} ${HISTOGRAM_SQL('audience')}`, counts.params)).rows;
    }
    const sharedPart = q.sqlOf('shared');
    const shared = anyShared
      ? (await client.query<AudienceMember & { hb: number }>(`${sharedPart.sql} SELECT ${MEMBER_COLUMNS} FROM audience WHERE is_shared`, sharedPart.params)).rows.map(toMember)
      : [];
    const cut = findCut(new Map(histogram.map((r) => [r.hb, Number(r.n)])), shared, max);
    const bits = Array.from({ length: variantBits(q.variantKeys.length) }, (_, j) => `(variant_idx & ${2 ** j}) <> 0 AS v${j}`);
    const segs = q.policySegments.map((_, i) => `s${i}`);
    // No constant keys, no key computed from the customer id and no filter that is always true: each
    // makes PostgreSQL expect more groups or fewer rows, and drop the aggregation in the workers.
    const keys = ['is_excluded', 'route', 'tz', ...segs, 'held_out', 'hist', ...bits];
    // Under a cap, the customers of the cut bucket (about one in 10,000) are kept one by one, lowest
    // ids first: their groups are only counted here, and they are read again by id.
    const atCut = cut ? `reason IS NULL AND NOT held_out AND hb = ${cut.bucket}` : null;
    if (cut) keys.push(`${overSql(cut)} AS over`, `COALESCE(${atCut}, false) AS at_cut`);
    const result = await client.query<Row>(
      `${q.sql} SELECT ${keys.join(', ')}, count(*) AS n FROM audience ${anyShared ? 'WHERE NOT is_shared' : ''} GROUP BY ${keys.map((_, i) => i + 1).join(', ')}`,
      q.params,
    );
    let cutMembers: AudienceMember[] = [];
    if (cut) {
      // Found by id from the stored draws (and above them, where draws are live) rather than by a
      // second pass over the base.
      const part = q.sqlOf('all', await idsInBucket(client, detail.campaign.id, 'holdout', cut.bucket));
      const found = await client.query<AudienceMember & { hb: number }>(`${part.sql} SELECT ${MEMBER_COLUMNS} FROM audience WHERE ${atCut} AND NOT is_shared`, part.params);
      cutMembers = found.rows.map(toMember);
    }
    return { rows: result.rows, shared, cutMembers, cut, q };
  });
  const ctx = { detail, rules, policySegments: q.policySegments, now, latenessMs: options.latenessMs, runExpiry: null };

  const reasons = new Map<string, ReasonCount>();
  const everyone: Record<Channel, number> = { EMAIL: 0, SMS: 0 };
  const expected: Record<Channel, number> = { EMAIL: 0, SMS: 0 };
  const sentNow: Record<Channel, number> = { EMAIL: 0, SMS: 0 };
  const byVariant = q.variantKeys.map(() => 0);
  let targeted = 0;
  let deferred = 0;
  const tally = (o: AudienceOutcome, n: number, variantIdx: number | null) => {
    if (o.outcome === 'RESERVED' || o.outcome === 'DEFERRED') {
      expected[o.channel!] += n;
      byVariant[variantIdx ?? 0] += n;
      if (o.outcome === 'RESERVED') sentNow[o.channel!] += n;
      else deferred += n;
      if (o.outcome === 'RESERVED') return;
    }
    const key = `${o.outcome}|${o.reason}|${o.ruleId}`;
    const r = reasons.get(key) ?? { reason: o.reason!, ruleId: o.ruleId, outcome: o.outcome as ReasonCount['outcome'], count: 0 };
    r.count += n;
    reasons.set(key, r);
  };
  const notSent = (outcome: AudienceOutcome['outcome'], reason: string): AudienceOutcome => ({ outcome, reason, ruleId: null, channel: null, contactAt: null, expiresAt: null });

  // Groups: one decision per distinct input.
  const decisions = new Map<string, AudienceOutcome>();
  const members: AudienceMember[] = [...shared, ...cutMembers];
  for (const m of shared) {
    targeted += 1;
    everyone[m.intended] += 1;
  }
  const nBits = variantBits(q.variantKeys.length);
  for (const r of rows) {
    const n = Number(r.n);
    const route = q.routes[r.route];
    const reason = r.is_excluded ? 'EXCLUDED' : route.reason;
    targeted += n;
    everyone[route.intended] += n;
    let variantIdx = 0;
    for (let j = 0; j < nBits; j++) if (r[`v${j}`]) variantIdx += 2 ** j;
    let segBits = 0;
    for (let i = 0; i < q.policySegments.length; i++) if (r[`s${i}`]) segBits += 2 ** i;
    if (r.at_cut) continue; // in cutMembers
    if (reason !== null) tally(notSent('SUPPRESSED', reason), n, null);
    else if (r.held_out) tally(notSent('HELD_OUT', 'HELD_OUT'), n, null);
    else if (r.over) tally(notSent('SUPPRESSED', 'OVER_MAX_RECIPIENTS'), n, null);
    else {
      const k: DecisionKey = { chosen: route.chosen!, fallback: route.fallback, tz: r.tz, segBits, hist: r.hist };
      let o = decisions.get(keyOf(k));
      if (!o) decisions.set(keyOf(k), (o = decideOutcome(ctx, decisionInput(q.inputs, k))));
      tally(o, n, variantIdx);
    }
  }
  // Customers resolved one by one: shared addresses and the cut bucket.
  const outcomes = resolveMembers({ ...ctx, inputs: q.inputs, cut }, members);
  for (const m of members) tally(outcomes.get(m.id)!, 1, m.variantIdx);

  const channels: Channel[] = ['EMAIL', 'SMS'];
  const byChannel = channels
    .filter((c) => everyone[c] > 0 || expected[c] > 0)
    .map((c) => ({ channel: c, expected: expected[c], now: sentNow[c], everyone: everyone[c], avoided: Math.max(0, everyone[c] - expected[c]) }));
  const total = expected.EMAIL + expected.SMS;
  const avoidedEmail = Math.max(0, everyone.EMAIL - expected.EMAIL);
  const avoidedSms = Math.max(0, everyone.SMS - expected.SMS);
  const list = [...reasons.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
  return {
    targeted,
    excluded: reasons.get('SUPPRESSED|EXCLUDED|null')?.count ?? 0,
    reasons: list,
    heldOut: reasons.get('HELD_OUT|HELD_OUT|null')?.count ?? 0,
    expected: total,
    deferred,
    byChannel,
    byVariant: q.variantKeys.map((variant, i) => ({ variant, expected: byVariant[i] })),
    avoided: Math.max(0, targeted - total),
    co2SavedGrams: Math.round((avoidedEmail * options.co2.gramsPerEmail + avoidedSms * options.co2.gramsPerSms) * 10) / 10,
    decisions: decisions.size + members.length,
    ms: Math.round(performance.now() - t0),
  };
}
