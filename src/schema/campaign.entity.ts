import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/*
 * Storage of campaigns, contact policies and the message ledger. The GraphQL types live in
 * campaign.types.ts and contact-policy.types.ts; domain code reads and writes these tables with the
 * SQL in src/campaigns/sql/.
 */

/** One contact-frequency policy rule (see src/campaigns/contact-policy.ts for its semantics). */
@Entity('contact_policies')
export class ContactPolicyEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column({ type: 'text' }) name: string;
  @Column({ type: 'text', default: '' }) description: string;
  @Column({ type: 'text' }) kind: string;
  @Column({ name: 'max_messages', type: 'integer', nullable: true }) maxMessages: number | null;
  @Column({ name: 'window_hours', type: 'integer', nullable: true }) windowHours: number | null;
  @Column({ name: 'calendar_unit', type: 'text', nullable: true }) calendarUnit: string | null;
  @Column({ name: 'gap_minutes', type: 'integer', nullable: true }) gapMinutes: number | null;
  @Column({ name: 'quiet_start', type: 'smallint', nullable: true }) quietStart: number | null;
  @Column({ name: 'quiet_end', type: 'smallint', nullable: true }) quietEnd: number | null;
  @Column({ type: 'smallint', array: true, nullable: true }) weekdays: number[] | null;
  @Column({ type: 'text', nullable: true }) channel: string | null;
  @Column({ type: 'text', nullable: true }) category: string | null;
  @Column({ type: 'text', nullable: true }) tag: string | null;
  @Column({ name: 'segment_id', type: 'bigint', nullable: true }) segmentId: string | null;
  @Column({ type: 'text' }) action: string;
  @Column({ name: 'counts_exempt', type: 'boolean', default: false }) countsExempt: boolean;
  @Column({ name: 'is_enabled', type: 'boolean', default: true }) isEnabled: boolean;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
}

/** A customer's own limits: a cap on marketing messages and a marketing pause. */
@Entity('customer_contact_preferences')
export class CustomerContactPreferencesEntity {
  @PrimaryColumn({ name: 'customer_id', type: 'bigint' }) customerId: string;
  @Column({ name: 'cap_max', type: 'integer', nullable: true }) capMax: number | null;
  @Column({ name: 'cap_unit', type: 'text', nullable: true }) capUnit: string | null;
  @Column({ name: 'marketing_paused_until', type: 'timestamptz', nullable: true }) marketingPausedUntil: Date | null;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
}

/** A normalised address nobody may be sent to on that channel (hard bounce, complaint, STOP). */
@Entity('blocked_addresses')
export class BlockedAddressEntity {
  @PrimaryColumn({ type: 'text' }) channel: string;
  @PrimaryColumn({ type: 'text' }) address: string;
  @Column({ type: 'text' }) reason: string;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}

@Entity('campaigns')
export class CampaignEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column({ type: 'text' }) name: string;
  @Column({ type: 'text', default: '' }) description: string;
  @Column({ type: 'text', default: 'DRAFT' }) status: string;
  @Column({ type: 'text' }) channel: string;
  @Column({ type: 'text' }) category: string;
  @Column({ type: 'text', array: true, default: () => "'{}'" }) tags: string[];
  @Column({ name: 'max_recipients', type: 'integer', nullable: true }) maxRecipients: number | null;
  @Column({ type: 'integer', default: 0 }) priority: number;
  @Column({ name: 'holdout_basis_points', type: 'integer', default: 0 }) holdoutBasisPoints: number;
  @Column({ name: 'expiry_minutes', type: 'integer', default: 1440 }) expiryMinutes: number;
  @Column({ name: 'email_from_name', type: 'text', nullable: true }) emailFromName: string | null;
  @Column({ name: 'email_from_address', type: 'text', nullable: true }) emailFromAddress: string | null;
  @Column({ name: 'email_reply_to', type: 'text', nullable: true }) emailReplyTo: string | null;
  @Column({ name: 'schedule_kind', type: 'text', nullable: true }) scheduleKind: string | null;
  @Column({ name: 'scheduled_at', type: 'timestamptz', nullable: true }) scheduledAt: Date | null;
  @Column({ type: 'text', nullable: true }) cron: string | null;
  @Column({ name: 'cron_time_zone', type: 'text', nullable: true }) cronTimeZone: string | null;
  @Column({ name: 'local_date', type: 'date', nullable: true }) localDate: string | null;
  @Column({ name: 'local_minutes', type: 'smallint', nullable: true }) localMinutes: number | null;
  @Column({ name: 'lateness_limit_minutes', type: 'integer', nullable: true }) latenessLimitMinutes: number | null;
  @Column({ name: 'next_run_at', type: 'timestamptz', nullable: true }) nextRunAt: Date | null;
  @Column({ name: 'acknowledged_warnings', type: 'boolean', default: false }) acknowledgedWarnings: boolean;
  @Column({ type: 'text' }) owner: string;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
  @Column({ name: 'launched_at', type: 'timestamptz', nullable: true }) launchedAt: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt: Date | null;
}

/** A segment a campaign targets (union) or excludes. */
@Entity('campaign_segments')
export class CampaignSegmentEntity {
  @PrimaryColumn({ name: 'campaign_id', type: 'bigint' }) campaignId: string;
  @PrimaryColumn({ name: 'segment_id', type: 'bigint' }) segmentId: string;
  @Column({ name: 'is_excluded', type: 'boolean' }) isExcluded: boolean;
}

/** One content variant of a campaign (A/B/n), with its weight. */
@Entity('campaign_variants')
export class CampaignVariantEntity {
  @PrimaryColumn({ name: 'campaign_id', type: 'bigint' }) campaignId: string;
  @PrimaryColumn({ type: 'text' }) key: string;
  @Column({ type: 'smallint' }) position: number;
  @Column({ type: 'integer' }) weight: number;
  @Column({ name: 'email_subject', type: 'text', nullable: true }) emailSubject: string | null;
  @Column({ name: 'email_html', type: 'text', nullable: true }) emailHtml: string | null;
  @Column({ name: 'email_text', type: 'text', nullable: true }) emailText: string | null;
  @Column({ name: 'sms_body', type: 'text', nullable: true }) smsBody: string | null;
}

/** A campaign's stored buckets for 65,536 consecutive customer ids (src/campaigns/draws.ts; read with SQL only). */
@Entity('campaign_draws')
export class CampaignDrawEntity {
  @PrimaryColumn({ name: 'campaign_id', type: 'bigint' }) campaignId: string;
  @PrimaryColumn({ type: 'text' }) salt: string;
  @PrimaryColumn({ type: 'integer' }) chunk: number;
  @Column({ type: 'smallint', array: true }) buckets: number[];
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}

/** One firing of a campaign. */
@Entity('campaign_runs')
export class CampaignRunEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @Column({ name: 'campaign_id', type: 'bigint' }) campaignId: string;
  @Column({ type: 'text' }) status: string;
  @Column({ name: 'scheduled_for', type: 'timestamptz' }) scheduledFor: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt: Date | null;
  @Column({ name: 'late_by_ms', type: 'bigint', nullable: true }) lateByMs: string | null;
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt: Date | null;
  @Column({ type: 'integer', nullable: true }) planned: number | null;
  @Column({ type: 'text', nullable: true }) error: string | null;
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt: Date;
}

/** One row per run × customer: sent, planned, held out or suppressed, with its reason. */
@Entity('messages')
export class MessageEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @PrimaryColumn({ name: 'run_at', type: 'timestamptz' }) runAt: Date;
  @Column({ name: 'run_id', type: 'bigint' }) runId: string;
  @Column({ name: 'campaign_id', type: 'bigint' }) campaignId: string;
  @Column({ name: 'customer_id', type: 'bigint' }) customerId: string;
  @Column({ type: 'text', nullable: true }) channel: string | null;
  @Column({ type: 'text', nullable: true }) address: string | null;
  @Column({ type: 'text', nullable: true }) variant: string | null;
  @Column({ type: 'text' }) outcome: string;
  @Column({ type: 'text', nullable: true }) reason: string | null;
  @Column({ name: 'rule_id', type: 'text', nullable: true }) ruleId: string | null;
  @Column({ name: 'contact_at', type: 'timestamptz', nullable: true }) contactAt: Date | null;
  @Column({ name: 'reserved_at', type: 'timestamptz', nullable: true }) reservedAt: Date | null;
  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true }) sentAt: Date | null;
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt: Date | null;
  @Column({ name: 'provider_message_id', type: 'text', nullable: true }) providerMessageId: string | null;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt: Date;
}

/** What a recipient (or a machine on their behalf) did with a message. */
@Entity('responses')
export class ResponseEntity {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' }) id: string;
  @PrimaryColumn({ name: 'message_run_at', type: 'timestamptz' }) messageRunAt: Date;
  @Column({ name: 'message_id', type: 'bigint' }) messageId: string;
  @Column({ name: 'campaign_id', type: 'bigint' }) campaignId: string;
  @Column({ name: 'customer_id', type: 'bigint' }) customerId: string;
  @Column({ type: 'text' }) channel: string;
  @Column({ type: 'text' }) type: string;
  @Column({ name: 'is_machine', type: 'boolean', default: false }) isMachine: boolean;
  @Column({ name: 'provider_event_id', type: 'text', nullable: true }) providerEventId: string | null;
  @Column({ name: 'occurred_at', type: 'timestamptz' }) occurredAt: Date;
  @Column({ name: 'recorded_at', type: 'timestamptz', default: () => 'now()' }) recordedAt: Date;
  @Column({ type: 'jsonb', nullable: true }) details: Record<string, unknown> | null;
}
