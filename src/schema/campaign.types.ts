import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Channel } from './enums.js';
import { PageInfo } from './page.type.js';

/*
 * GraphQL types of campaigns, runs, the audience forecast, previews and the message ledger. The
 * domain rows (src/campaigns/*.ts) are returned as they are; field resolvers add what is computed.
 */

export enum CampaignChannel {
  EMAIL = 'EMAIL',
  SMS = 'SMS',
  PREFERRED = 'PREFERRED',
}
export enum MessageCategory {
  MARKETING = 'MARKETING',
  TRANSACTIONAL = 'TRANSACTIONAL',
}
export enum CampaignStatus {
  DRAFT = 'DRAFT',
  SCHEDULED = 'SCHEDULED',
  RUNNING = 'RUNNING',
  PAUSED = 'PAUSED',
  COMPLETED = 'COMPLETED',
  CANCELLED = 'CANCELLED',
  FAILED = 'FAILED',
}
export enum ScheduleKind {
  NOW = 'NOW',
  AT = 'AT',
  RECURRING = 'RECURRING',
  LOCAL_TIME = 'LOCAL_TIME',
}
export enum CampaignRunStatus {
  PENDING = 'PENDING',
  RUNNING = 'RUNNING',
  COMPLETED = 'COMPLETED',
  SKIPPED_LATE = 'SKIPPED_LATE',
  CANCELLED = 'CANCELLED',
  FAILED = 'FAILED',
}
export enum MessageOutcome {
  RESERVED = 'RESERVED',
  SENT = 'SENT',
  DELIVERED = 'DELIVERED',
  FAILED = 'FAILED',
  UNKNOWN = 'UNKNOWN',
  DEFERRED = 'DEFERRED',
  SUPPRESSED = 'SUPPRESSED',
  HELD_OUT = 'HELD_OUT',
  EXPIRED = 'EXPIRED',
  CANCELLED = 'CANCELLED',
}
export enum SmsEncoding {
  GSM_7 = 'GSM_7',
  UCS_2 = 'UCS_2',
}

registerEnumType(CampaignChannel, {
  name: 'CampaignChannel',
  description: 'The channel of a campaign.',
  valuesConfig: { PREFERRED: { description: "Each customer's preferred consented channel, else the configured fallback order (CHANNEL_FALLBACK_ORDER)." } },
});
registerEnumType(MessageCategory, {
  name: 'MessageCategory',
  description: 'Marketing needs consent and falls under marketing contact rules; transactional needs only a valid, unblocked address.',
});
registerEnumType(CampaignStatus, {
  name: 'CampaignStatus',
  description: 'DRAFT → SCHEDULED → RUNNING → COMPLETED, with PAUSED, CANCELLED and FAILED. A recurring campaign stays SCHEDULED between runs.',
});
registerEnumType(ScheduleKind, { name: 'ScheduleKind', description: 'NOW (launchCampaign), AT a time, RECURRING (cron), or LOCAL_TIME (a local date and time where each recipient lives).' });
registerEnumType(CampaignRunStatus, {
  name: 'CampaignRunStatus',
  description: 'One firing of a campaign.',
  valuesConfig: {
    PENDING: { description: 'Due, its audience not yet resolved.' },
    RUNNING: { description: 'Audience resolved into the ledger; messages are being sent.' },
    COMPLETED: { description: 'Nothing left to send.' },
    SKIPPED_LATE: { description: 'Found due later than the lateness limit (the service was down): not sent.' },
    CANCELLED: { description: 'The campaign was cancelled before the run ended.' },
    FAILED: { description: 'The run could not be planned (see error).' },
  },
});
registerEnumType(MessageOutcome, {
  name: 'MessageOutcome',
  description: 'What happened to one customer of a run.',
  valuesConfig: {
    RESERVED: { description: 'Will be sent at contactAt (its contact-rule slot is taken).' },
    SENT: { description: 'Handed to the provider.' },
    DELIVERED: { description: 'The provider confirmed delivery.' },
    FAILED: { description: 'The provider refused it (reason says why).' },
    UNKNOWN: { description: 'Sent, but the outcome was lost (counted as sent by contact rules).' },
    DEFERRED: { description: 'Held by a contact rule until contactAt, before its expiry.' },
    SUPPRESSED: { description: 'Not sent: reason says why (consent, address, blocklist, exclusion, contact rule...).' },
    HELD_OUT: { description: 'In the control group: never sent, measured against.' },
    EXPIRED: { description: 'No instant before expiry passed every contact rule, or the local time had passed.' },
    CANCELLED: { description: 'The campaign was cancelled before it was sent.' },
  },
});
registerEnumType(SmsEncoding, { name: 'SmsEncoding', description: 'GSM_7: 160 characters a part (153 when split); UCS_2: 70 (67).' });

@ObjectType({ simpleResolvers: true, description: 'One content variant of a campaign (A/B/n); the weights set the shares.' })
export class CampaignVariant {
  @Field({ description: 'A–Z, digits, _ (e.g. A, B, SHORT_SUBJECT).' }) key: string;
  @Field(() => Int, { description: 'Relative weight (1–10,000).' }) weight: number;
  @Field(() => String, { nullable: true, description: 'Liquid template.' }) emailSubject: string | null;
  @Field(() => String, { nullable: true, description: 'Liquid template; values are HTML-escaped.' }) emailHtml: string | null;
  @Field(() => String, { nullable: true, description: 'Liquid template.' }) emailText: string | null;
  @Field(() => String, { nullable: true, description: 'Liquid template.' }) smsBody: string | null;
}

@InputType({ description: 'A content variant. Templates are Liquid with customer fields, attributes.<key>, metrics.<name>, campaign.name and unsubscribe_url.' })
export class CampaignVariantInput {
  @Field() key: string;
  @Field(() => Int, { nullable: true, description: 'Default 1.' }) weight?: number | null;
  @Field(() => String, { nullable: true }) emailSubject?: string | null;
  @Field(() => String, { nullable: true }) emailHtml?: string | null;
  @Field(() => String, { nullable: true }) emailText?: string | null;
  @Field(() => String, { nullable: true }) smsBody?: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'When a campaign fires.' })
export class CampaignSchedule {
  @Field(() => ScheduleKind) kind: ScheduleKind;
  @Field(() => Date, { nullable: true, description: 'AT: the instant.' }) at: Date | null;
  @Field(() => String, { nullable: true, description: 'RECURRING: the cron pattern (5 fields).' }) cron: string | null;
  @Field(() => String, { nullable: true, description: 'RECURRING: the time zone the pattern is read in.' }) timeZone: string | null;
  @Field(() => String, { nullable: true, description: 'LOCAL_TIME: the local date (YYYY-MM-DD).' }) localDate: string | null;
  @Field(() => String, { nullable: true, description: 'LOCAL_TIME: the local time (HH:MM).' }) localTime: string | null;
}

@InputType({ description: 'A schedule: exactly one of at; cron (with timeZone); localDate with localTime.' })
export class ScheduleInput {
  @Field(() => String, { nullable: true, description: 'Once, at this ISO 8601 instant (with offset).' }) at?: string | null;
  @Field(() => String, { nullable: true, description: 'Recurring: a 5-field cron pattern; every occurrence re-resolves the audience.' }) cron?: string | null;
  @Field(() => String, { nullable: true, description: 'IANA time zone of the cron pattern (default UTC); refused with at or localDate.' }) timeZone?: string | null;
  @Field(() => String, { nullable: true, description: 'Once, on this date (YYYY-MM-DD) at localTime where each recipient lives.' }) localDate?: string | null;
  @Field(() => String, { nullable: true, description: 'HH:MM (24 h), with localDate.' }) localTime?: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'A campaign: targeting, content variants, limits, schedule and state.' })
export class Campaign {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field() description: string;
  @Field(() => CampaignStatus) status: CampaignStatus;
  @Field(() => CampaignChannel) channel: CampaignChannel;
  @Field(() => MessageCategory) category: MessageCategory;
  @Field(() => [String], { description: 'Free tags; contact policies may be scoped to one.' }) tags: string[];
  @Field(() => [ID], { description: 'Segments aimed at (their union).' }) targetSegmentIds: string[];
  @Field(() => [ID], { description: 'Segments whose members are left out.' }) excludedSegmentIds: string[];
  @Field(() => Int, { nullable: true, description: 'At most this many recipients per run (lowest hold-out buckets kept).' }) maxRecipients: number | null;
  @Field(() => Int, { description: 'Higher priorities keep their contact-rule slots against lower ones.' }) priority: number;
  @Field(() => Float, { description: 'Share of the eligible audience held out as a control group (0–99.99).' }) holdoutPercent: number;
  @Field(() => Float, { description: 'A message not sent within this many hours of its planned time expires.' }) expiryHours: number;
  @Field(() => String, { nullable: true }) emailFromName: string | null;
  @Field(() => String, { nullable: true, description: 'Default: MAIL_FROM.' }) emailFromAddress: string | null;
  @Field(() => String, { nullable: true }) emailReplyTo: string | null;
  @Field(() => Int, { nullable: true, description: 'Own lateness limit in minutes (default CAMPAIGN_LATENESS_LIMIT_MINUTES).' }) latenessLimitMinutes: number | null;
  @Field(() => [CampaignVariant]) variants: CampaignVariant[];
  @Field(() => CampaignSchedule, { nullable: true, description: 'Null until launched or scheduled.' }) schedule: CampaignSchedule | null;
  @Field(() => Date, { nullable: true, description: 'When the next run fires (SCHEDULED campaigns).' }) nextRunAt: Date | null;
  @Field({ description: 'The launch acknowledged narrow-segment warnings.' }) acknowledgedWarnings: boolean;
  @Field({ description: 'Name of the API key that created it.' }) owner: string;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
  @Field(() => Date, { nullable: true, description: 'When it was launched or scheduled.' }) launchedAt: Date | null;
  @Field(() => Date, { nullable: true }) finishedAt: Date | null;
}

@ObjectType({ simpleResolvers: true, description: 'A page of campaigns, newest first.' })
export class CampaignConnection {
  @Field(() => [Campaign]) nodes: Campaign[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@InputType({ description: 'A new campaign (a DRAFT until launched or scheduled).' })
export class CreateCampaignInput {
  @Field() name: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => CampaignChannel) channel: CampaignChannel;
  @Field(() => MessageCategory, { nullable: true, description: 'Default MARKETING.' }) category?: MessageCategory | null;
  @Field(() => [String], { nullable: true }) tags?: string[] | null;
  @Field(() => [ID]) targetSegmentIds: string[];
  @Field(() => [ID], { nullable: true }) excludedSegmentIds?: string[] | null;
  @Field(() => Int, { nullable: true }) maxRecipients?: number | null;
  @Field(() => Int, { nullable: true, description: 'Default 0 (−1000 to 1000).' }) priority?: number | null;
  @Field(() => Float, { nullable: true, description: 'Default 0; steps of 0.01.' }) holdoutPercent?: number | null;
  @Field(() => Int, { nullable: true, description: 'Default 24 (1–720).' }) expiryHours?: number | null;
  @Field(() => String, { nullable: true }) emailFromName?: string | null;
  @Field(() => String, { nullable: true }) emailFromAddress?: string | null;
  @Field(() => String, { nullable: true }) emailReplyTo?: string | null;
  @Field(() => Int, { nullable: true }) latenessLimitMinutes?: number | null;
  @Field(() => [CampaignVariantInput], { description: 'At least one; content lives on variants.' }) variants: CampaignVariantInput[];
}

@InputType({ description: 'Changes to a campaign; omitted fields stay. Content and targeting are frozen once a run has started.' })
export class UpdateCampaignInput {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => CampaignChannel, { nullable: true }) channel?: CampaignChannel | null;
  @Field(() => MessageCategory, { nullable: true }) category?: MessageCategory | null;
  @Field(() => [String], { nullable: true }) tags?: string[] | null;
  @Field(() => [ID], { nullable: true }) targetSegmentIds?: string[] | null;
  @Field(() => [ID], { nullable: true }) excludedSegmentIds?: string[] | null;
  @Field(() => Int, { nullable: true }) maxRecipients?: number | null;
  @Field(() => Int, { nullable: true }) priority?: number | null;
  @Field(() => Float, { nullable: true }) holdoutPercent?: number | null;
  @Field(() => Int, { nullable: true }) expiryHours?: number | null;
  @Field(() => String, { nullable: true }) emailFromName?: string | null;
  @Field(() => String, { nullable: true }) emailFromAddress?: string | null;
  @Field(() => String, { nullable: true }) emailReplyTo?: string | null;
  @Field(() => Int, { nullable: true }) latenessLimitMinutes?: number | null;
  @Field(() => [CampaignVariantInput], { nullable: true }) variants?: CampaignVariantInput[] | null;
}

@ObjectType({ simpleResolvers: true, description: 'Messages of a campaign or run by outcome and reason.' })
export class OutcomeCount {
  @Field(() => MessageOutcome) outcome: MessageOutcome;
  @Field(() => String, { nullable: true, description: 'Machine-readable: EXCLUDED, NO_CONSENT, NO_ADDRESS, BLOCKLISTED, DUPLICATE_ADDRESS, HELD_OUT, OVER_MAX_RECIPIENTS, SKIPPED_LATE, CAMPAIGN_CANCELLED, or a rule reason (CAP_REACHED, MIN_GAP, QUIET_HOURS, WEEKDAY, CUSTOMER_CAP, CUSTOMER_PAUSED).' })
  reason: string | null;
  @Field(() => String, { nullable: true, description: 'The contact policy id (or customer:cap / customer:pause) behind a rule reason.' }) ruleId: string | null;
  @Field(() => Channel, { nullable: true }) channel: Channel | null;
  @Field(() => Int) count: number;
}

@ObjectType({ simpleResolvers: true, description: 'One firing of a campaign.' })
export class CampaignRun {
  @Field(() => ID) id: string;
  @Field(() => ID) campaignId: string;
  @Field(() => CampaignRunStatus) status: CampaignRunStatus;
  @Field({ description: 'The occurrence it fires for.' }) scheduledFor: Date;
  @Field(() => Date, { nullable: true, description: 'When its audience was resolved.' }) startedAt: Date | null;
  @Field(() => Date, { nullable: true }) finishedAt: Date | null;
  @Field(() => Float, { nullable: true, description: 'How late it was found due, in ms (SKIPPED_LATE beyond the lateness limit).' }) lateByMs: number | null;
  @Field(() => Date, { nullable: true, description: 'Messages planned now expire then (deferred ones carry their own).' }) expiresAt: Date | null;
  @Field(() => Int, { nullable: true, description: 'Customers of the target segments resolved into the ledger.' }) planned: number | null;
  @Field(() => String, { nullable: true }) error: string | null;
  @Field() createdAt: Date;
}

@ObjectType({ simpleResolvers: true, description: 'A page of runs, newest first.' })
export class CampaignRunConnection {
  @Field(() => [CampaignRun]) nodes: CampaignRun[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@ObjectType({ simpleResolvers: true, description: 'One customer of a run in the ledger: sent, planned, or why not.' })
export class Message {
  @Field(() => ID) id: string;
  @Field(() => ID) runId: string;
  @Field(() => ID) campaignId: string;
  @Field(() => ID) customerId: string;
  @Field(() => Channel, { nullable: true }) channel: Channel | null;
  @Field(() => String, { nullable: true, description: 'Normalised email or phone it goes to (masked for analysts).' }) address: string | null;
  @Field(() => String, { nullable: true }) variant: string | null;
  @Field(() => MessageOutcome) outcome: MessageOutcome;
  @Field(() => String, { nullable: true, description: 'Why it was not sent (one machine-readable reason; see OutcomeCount.reason).' }) reason: string | null;
  @Field(() => String, { nullable: true }) ruleId: string | null;
  @Field(() => Date, { nullable: true, description: 'When it is (or was) to be sent.' }) contactAt: Date | null;
  @Field(() => Date, { nullable: true }) reservedAt: Date | null;
  @Field(() => Date, { nullable: true }) sentAt: Date | null;
  @Field(() => Date, { nullable: true }) expiresAt: Date | null;
}

@ObjectType({ simpleResolvers: true, description: 'A page of ledger messages in id order.' })
export class MessageConnection {
  @Field(() => [Message]) nodes: Message[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}

@ObjectType({ simpleResolvers: true, description: 'People not sent to for one reason (each person has exactly one).' })
export class AudienceReason {
  @Field({ description: 'See OutcomeCount.reason.' }) reason: string;
  @Field(() => String, { nullable: true }) ruleId: string | null;
  @Field(() => MessageOutcome, { description: 'SUPPRESSED, HELD_OUT, DEFERRED (still sent later, before expiry) or EXPIRED.' }) outcome: MessageOutcome;
  @Field(() => Int) count: number;
}

@ObjectType({ simpleResolvers: true, description: 'Expected messages on one channel, against sending to everyone.' })
export class AudienceChannel {
  @Field(() => Channel) channel: Channel;
  @Field(() => Int, { description: 'Expected to be sent (now or deferred).' }) expected: number;
  @Field(() => Int, { description: 'Sent at once (not deferred).' }) now: number;
  @Field(() => Int, { description: 'If every targeted customer got one on their intended channel.' }) everyone: number;
  @Field(() => Int, { description: 'everyone − expected.' }) avoided: number;
}

@ObjectType({ simpleResolvers: true, description: 'Expected messages of one variant.' })
export class AudienceVariant {
  @Field() variant: string;
  @Field(() => Int) expected: number;
}

@ObjectType({ simpleResolvers: true, description: 'Who a campaign would reach now, and why not: the same precedence and rules as a run, against today\'s contact history.' })
export class CampaignAudience {
  @Field(() => Int, { description: 'Customers in the target segments (union).' }) targeted: number;
  @Field(() => Int) excluded: number;
  @Field(() => [AudienceReason], { description: 'Everyone not sent to (or deferred), by reason, largest first.' }) reasons: AudienceReason[];
  @Field(() => Int) heldOut: number;
  @Field(() => Int, { description: 'Expected messages: sent now plus deferred ones (a deferral is decided only when it fits before expiry).' }) expected: number;
  @Field(() => Int) deferred: number;
  @Field(() => [AudienceChannel]) byChannel: AudienceChannel[];
  @Field(() => [AudienceVariant]) byVariant: AudienceVariant[];
  @Field(() => Int, { description: 'Messages avoided compared with sending one to everyone targeted.' }) avoided: number;
  @Field(() => Float, { description: 'Avoided emails × CO2_GRAMS_PER_EMAIL + avoided SMS × CO2_GRAMS_PER_SMS (an estimate; see README).' }) co2SavedGrams: number;
  @Field(() => Int, { description: 'Distinct inputs the contact rules were evaluated on.' }) decisions: number;
  @Field(() => Int) ms: number;
}

@ObjectType({ simpleResolvers: true, description: 'Length, encoding and parts of an SMS body.' })
export class SmsInfo {
  @Field(() => Int, { description: 'Characters as a reader counts them.' }) characters: number;
  @Field(() => SmsEncoding) encoding: SmsEncoding;
  @Field(() => Int, { description: 'Billed parts.' }) parts: number;
}

@ObjectType({ simpleResolvers: true, description: 'A mail header.' })
export class Header {
  @Field() name: string;
  @Field() value: string;
}

@ObjectType({ simpleResolvers: true, description: 'Exactly what one customer would get from a campaign.' })
export class MessagePreview {
  @Field(() => ID) customerId: string;
  @Field() variant: string;
  @Field(() => Channel) channel: Channel;
  @Field({ description: 'In the control group: a run would record them as held out and send nothing.' }) heldOut: boolean;
  @Field(() => String, { nullable: true }) subject: string | null;
  @Field(() => String, { nullable: true, description: 'With the unsubscribe footer for marketing.' }) html: string | null;
  @Field(() => String, { nullable: true }) text: string | null;
  @Field(() => [Header], { description: 'List-Unsubscribe and List-Unsubscribe-Post (RFC 8058) for marketing email.' }) headers: Header[];
  @Field(() => String, { nullable: true, description: 'With the opt-out wording for marketing.' }) smsBody: string | null;
  @Field(() => SmsInfo, { nullable: true }) sms: SmsInfo | null;
}
