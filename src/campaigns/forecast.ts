import type { Db } from '../db/database.js';
import { withTransaction } from '../db/transaction.js';
import {
  decideOutcome,
  findCut,
  resolveMembers,
  toMember,
  type AudienceMember,
  type AudienceOutcome,
  type DecisionInput,
} from './audience.js';
import {
  AUDIENCE_WORK_MEM,
  bandSql,
  compileAudience,
  individualSql,
  MEMBER_AGGREGATES,
  type AudienceSettings,
} from './audience-query.js';
import type { CampaignDetail } from './campaigns.js';
import type { Channel, ContactRule } from './contact-policy.js';

/*
 * The pre-send forecast: who a campaign would reach now, and why not, with the same precedence and
 * the same rules as a run (audience.ts). Counts only: one aggregate pass over the base (two with a
 * maxRecipients cap), then the rules on distinct inputs and on the few customers resolved one by one.
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

interface Row extends Partial<AudienceMember> {
  reason: string | null;
  intended: Channel;
  chosen: Channel | null;
  fallback: Channel | null;
  variant_idx: number | null;
  tz: string;
  seg_bits: number;
  held_out: boolean;
  band: number;
  member: string | null;
  hb: number;
  n: string;
}

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
  const { rows, cut, q } = await withTransaction(db, async (client) => {
    await client.query(`SET LOCAL work_mem = '${AUDIENCE_WORK_MEM}'`);
    await client.query('SET LOCAL jit = off');
    const q = await compileAudience({ db: client, detail, rules, now, settings: options.settings, latenessMs: options.latenessMs });
    const cut = await findCut(client, { prefix: q.sql, table: 'audience', params: q.params }, detail.campaign.maxRecipients);
    const result = await client.query<Row>(
      `${q.sql}
       SELECT reason, intended, chosen, fallback, variant_idx, tz, seg_bits, held_out, ${bandSql(cut)} AS band,
              CASE WHEN ${individualSql(cut)} THEN id END AS member, count(*) AS n, min(hb) AS hb, ${MEMBER_AGGREGATES}
       FROM audience GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9, 10`,
      q.params,
    );
    return { rows: result.rows, cut, q };
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
  const members: AudienceMember[] = [];
  for (const r of rows) {
    const n = Number(r.n);
    targeted += n;
    everyone[r.intended] += n;
    if (r.member !== null) {
      members.push(toMember(r));
      continue;
    }
    if (r.reason !== null) tally(notSent('SUPPRESSED', r.reason), n, null);
    else if (r.held_out) tally(notSent('HELD_OUT', 'HELD_OUT'), n, null);
    else if (r.band === 2) tally(notSent('SUPPRESSED', 'OVER_MAX_RECIPIENTS'), n, null);
    else {
      const input: DecisionInput = { chosen: r.chosen!, fallback: r.fallback, tz: r.tz, segBits: r.seg_bits };
      const key = `${input.chosen}|${input.fallback}|${input.tz}|${input.segBits}`;
      let o = decisions.get(key);
      if (!o) decisions.set(key, (o = decideOutcome(ctx, input)));
      tally(o, n, r.variant_idx);
    }
  }
  // Customers resolved one by one: shared addresses, contact history or own limits, the cut bucket.
  const outcomes = await resolveMembers({ ...ctx, client: db.pool, lookbackFrom: q.lookbackFrom, cut }, members);
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
