import type { Db } from '../db/database.js';

/*
 * Reading the message ledger: pages of messages of a campaign (optionally one run, one outcome), and
 * the count of each outcome and reason, so that every person not sent to has exactly one
 * machine-readable reason, queryable per campaign and per run.
 */

export type MessageOutcome = 'RESERVED' | 'SENT' | 'DELIVERED' | 'FAILED' | 'UNKNOWN' | 'DEFERRED' | 'SUPPRESSED' | 'HELD_OUT' | 'EXPIRED' | 'CANCELLED';

export interface MessageRow {
  id: string;
  runId: string;
  runAt: Date;
  campaignId: string;
  customerId: string;
  channel: 'EMAIL' | 'SMS' | null;
  address: string | null;
  variant: string | null;
  outcome: MessageOutcome;
  reason: string | null;
  ruleId: string | null;
  contactAt: Date | null;
  reservedAt: Date | null;
  sentAt: Date | null;
  expiresAt: Date | null;
  updatedAt: Date;
}

const COLUMNS = `id, run_id AS "runId", run_at AS "runAt", campaign_id AS "campaignId", customer_id AS "customerId", channel, address,
  variant, outcome, reason, rule_id AS "ruleId", contact_at AS "contactAt", reserved_at AS "reservedAt", sent_at AS "sentAt",
  expires_at AS "expiresAt", updated_at AS "updatedAt"`;

/**
 * One keyset page (message id order) of a campaign's messages. messages_campaign_outcome_idx serves
 * the outcome filter, messages_campaign_idx the unfiltered list; a run filter rides on either.
 */
export async function listMessages(db: Db, options: { campaignId: string; runId: string | null; outcome: MessageOutcome | null; after: string | null; limit: number }): Promise<MessageRow[]> {
  const { rows } = await db.pool.query<MessageRow>(
    `SELECT ${COLUMNS} FROM messages
     WHERE campaign_id = $1 AND ($2::bigint IS NULL OR run_id = $2::bigint) AND ($3::text IS NULL OR outcome = $3::text) AND id > $4::bigint
     ORDER BY id LIMIT $5`,
    [options.campaignId, options.runId, options.outcome, options.after ?? '0', options.limit],
  );
  return rows;
}

export interface OutcomeCount {
  outcome: MessageOutcome;
  reason: string | null;
  ruleId: string | null;
  channel: 'EMAIL' | 'SMS' | null;
  count: number;
}

/** Messages of a campaign (or one run) by outcome, reason, rule and channel, largest first. */
export async function countOutcomes(db: Db, options: { campaignId: string; runId: string | null }): Promise<OutcomeCount[]> {
  const { rows } = await db.pool.query<OutcomeCount>(
    `SELECT outcome, reason, rule_id AS "ruleId", channel, count(*)::int AS count FROM messages
     WHERE campaign_id = $1 AND ($2::bigint IS NULL OR run_id = $2::bigint)
     GROUP BY outcome, reason, rule_id, channel ORDER BY count DESC, outcome, reason NULLS FIRST`,
    [options.campaignId, options.runId],
  );
  return rows;
}
