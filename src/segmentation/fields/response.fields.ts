import type { Condition, ConditionParams } from '../rules.js';
import { windowFilter, type FieldDef, type SqlContext } from './field.js';

/*
 * Campaign responses from the message ledger (migrations/1764400000000-campaigns.ts): what a customer
 * received and what they did with it.
 *
 * - Counts are of distinct campaigns, not of messages or events: "opened ≥ 2" is two campaigns
 *   opened, however often each was opened; a recurring campaign counts once however many of its runs
 *   reached the customer. (Per-message counters are metrics.messages_*.) Distinct campaigns are also
 *   what the ledger's indexes carry: responses_type_time_idx holds campaign_id, not message_id.
 * - "Received" is a message that reached the provider (outcome SENT or DELIVERED), windowed on its
 *   sent_at; responses are windowed on their occurred_at. Without a window, everything up to now.
 * - Opens and clicks count human activity only (is_machine false): Apple Mail privacy protection
 *   fetches every image of every message, so a machine "open" says nothing about interest, and
 *   security gateways follow every link before the recipient sees it. Conversions, unsubscribes and
 *   bounces count whatever their source: a one-click unsubscribe sent by the mailbox provider on the
 *   recipient's behalf is still their unsubscribe, and a bounce is machine-made by nature.
 * - `channel` is the channel a message went out on (for a PREFERRED campaign, each customer's own).
 */

const RECEIVED_OUTCOMES = `('SENT', 'DELIVERED')`;

/**
 * Hours after a message's send within which a human open or click means it was not ignored: 7 days
 * of fixed length (an interval of '7 days' would follow the session's daylight-saving changes).
 */
export const IGNORE_WINDOW_HOURS = 168;

function scope(ctx: SqlContext, alias: string, p: ConditionParams | undefined): string {
  const campaign = p?.campaignId !== undefined ? ` AND ${alias}.campaign_id = ${ctx.param(p.campaignId)}::bigint` : '';
  const channel = p?.channel !== undefined ? ` AND ${alias}.channel = ${ctx.param(p.channel)}::text` : '';
  return campaign + channel;
}

const SCOPE_HELP = 'Optionally of one campaign (campaignId) or on one channel (channel), in a window (within, between).';

function responseCount(key: string, type: string, isHumanOnly: boolean, description: string): FieldDef {
  return {
    key: `responses.${key}`,
    family: 'responses',
    type: 'NUMBER',
    aggregate: true,
    description: `${description} ${SCOPE_HELP}`,
    sensitive: false,
    params: ['campaignId', 'channel', 'within', 'between'],
    // responses_type_time_idx (type, occurred_at) INCLUDE (customer_id, campaign_id, channel,
    // is_machine): an index-only range scan of the window, every filter read from the index (opened
    // in 30 days, 4.3M opens: 1.1–1.3 s). One campaign without a window reads every response of the
    // type up to now (a seq scan of 5M responses: 0.7 s); a campaign-leading index would fix that
    // when the table grows.
    sql: (ctx, c: Condition) =>
      `SELECT r.customer_id, count(DISTINCT r.campaign_id) AS v FROM responses r WHERE r.type = '${type}'${isHumanOnly ? ' AND NOT r.is_machine' : ''}${scope(ctx, 'r', c.params)}${windowFilter(ctx, 'r.occurred_at', c.params)} GROUP BY r.customer_id`,
  };
}

/** Campaign responses: received, opened, clicked, converted, unsubscribed, bounced; ignoring the last N. */
export const responseFields: readonly FieldDef[] = [
  {
    key: 'responses.received',
    family: 'responses',
    type: 'NUMBER',
    aggregate: true,
    description: `Campaigns received (a message sent or delivered; windows on when it was sent). "Received nothing this month": EQ 0 within 30 DAYS. ${SCOPE_HELP}`,
    sensitive: false,
    params: ['campaignId', 'channel', 'within', 'between'],
    // One campaign: messages_campaign_idx (campaign_id, outcome, id), then the campaign's rows of the
    // heap (0.3–0.5 s for a 50k-message run among 20M messages). Any campaign: messages_received_idx
    // read whole, index-only, the window a filter on its second column (30 days at 1M customers /
    // 11M received messages: 3.8–4.8 s, half of it JIT compilation). An index leading with sent_at
    // would read only the window, at the cost of one more index written on every send: left out.
    sql: (ctx, c: Condition) =>
      `SELECT m.customer_id, count(DISTINCT m.campaign_id) AS v FROM messages m WHERE m.outcome IN ${RECEIVED_OUTCOMES}${scope(ctx, 'm', c.params)}${windowFilter(ctx, 'm.sent_at', c.params)} GROUP BY m.customer_id`,
  },
  responseCount('opened', 'OPENED', true, 'Campaigns opened by the customer (machine opens such as Apple Mail privacy prefetches excluded). "Opened at least 2 campaigns": GTE 2.'),
  responseCount('clicked', 'CLICKED', true, 'Campaigns clicked by the customer (link scanners excluded).'),
  responseCount('converted', 'CONVERTED', false, 'Campaigns that led to a conversion.'),
  responseCount('unsubscribed', 'UNSUBSCRIBED', false, 'Campaigns the customer unsubscribed from.'),
  responseCount('bounced', 'BOUNCED', false, 'Campaigns whose message to the customer bounced.'),
  {
    key: 'responses.ignored_last',
    family: 'responses',
    type: 'BOOLEAN',
    operators: ['EQ'],
    description:
      `True when the customer received at least lastReceived messages and opened or clicked none of the last lastReceived of them (human activity only) within ${IGNORE_WINDOW_HOURS / 24} days after its sending. ` +
      'A message sent less than 7 days ago is ignored until it is opened or clicked. Optionally only the messages of one campaign (campaignId) or channel (channel). "Ignored the last 5 emails": EQ true, lastReceived 5, channel EMAIL.',
    sensitive: false,
    params: ['lastReceived', 'campaignId', 'channel'],
    requiredParams: ['lastReceived'],
    /*
     * A correlated subquery per customer, bounded by N, never a pass over the ledger: messages are
     * tens of millions of rows, a customer's received messages tens to hundreds.
     * - The customer's last N received messages: messages_received_idx (customer_id, sent_at DESC,
     *   id DESC) INCLUDE (run_at, campaign_id, channel) WHERE outcome IN ('SENT', 'DELIVERED'), read
     *   backwards from now and stopped after N entries (Limit over an index-only scan; the campaign
     *   and channel filters read from the index too).
     * - For each of the N: responses_engaged_idx (message_id, message_run_at) INCLUDE (occurred_at)
     *   WHERE type IN ('OPENED', 'CLICKED') AND NOT is_machine, index-only; the anti-join stops at
     *   the first engagement. (message_run_at lets a partitioned responses table prune at run time.)
     * So N + N index probes per customer tested, and the planner runs this subplan after the cheaper
     * conditions of an AND: only for customers still in. Measured at 1M customers / 20M messages /
     * 5M responses, N = 3: 18–22 s for the whole base, 8–11 s for N = 5 on email among a quarter of
     * it, under 1 s behind a campaign condition.
     * Why not the contact history index (customer_id, contact_at), which also holds these rows: it
     * is in contact_at order, the slot the contact rules counted (a deferral moves it), not when the
     * message went out, so "the last N by sent_at" reads and sorts every counted message of the
     * customer, each with a heap fetch for outcome and sent_at: 150 s for the whole base, 47 s for
     * the quarter, in the same measurement.
     * The count of unanswered messages among the last N equals N exactly when the customer has N
     * received messages and answered none: fewer than N received is never "ignoring".
     */
    sql: (ctx, c: Condition) => {
      const n = `${ctx.param(c.params!.lastReceived)}::int`;
      return `((SELECT count(*) FROM (
          SELECT m.id, m.run_at, m.sent_at FROM messages m
           WHERE m.customer_id = c.id AND m.outcome IN ${RECEIVED_OUTCOMES} AND m.sent_at <= ${ctx.now}::timestamptz${scope(ctx, 'm', c.params)}
           ORDER BY m.sent_at DESC, m.id DESC LIMIT ${n}) last
        WHERE NOT EXISTS (SELECT FROM responses r
           WHERE r.message_id = last.id AND r.message_run_at = last.run_at AND r.type IN ('OPENED', 'CLICKED') AND NOT r.is_machine
             AND r.occurred_at <= last.sent_at + interval '${IGNORE_WINDOW_HOURS} hours' AND r.occurred_at <= ${ctx.now}::timestamptz)) = ${n})`;
    },
  },
];
