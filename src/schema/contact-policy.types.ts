import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MessageCategory } from './campaign.types.js';
import { Channel } from './enums.js';

export enum ContactPolicyKind {
  ROLLING_CAP = 'ROLLING_CAP',
  CALENDAR_CAP = 'CALENDAR_CAP',
  MIN_GAP = 'MIN_GAP',
  QUIET_HOURS = 'QUIET_HOURS',
  WEEKDAYS = 'WEEKDAYS',
}
export enum RuleAction {
  DEFER = 'DEFER',
  DROP = 'DROP',
  FALLBACK = 'FALLBACK',
}
export enum CalendarUnit {
  DAY = 'DAY',
  WEEK = 'WEEK',
}

registerEnumType(ContactPolicyKind, {
  name: 'ContactPolicyKind',
  description: 'What a contact policy limits.',
  valuesConfig: {
    ROLLING_CAP: { description: 'At most maxMessages in any window of windowHours ending now: (now − W, now].' },
    CALENDAR_CAP: { description: "At most maxMessages per local calendar day, or ISO week (Monday), in the customer's time zone." },
    MIN_GAP: { description: 'At least gapMinutes between two messages.' },
    QUIET_HOURS: { description: 'Nothing from quietStart to quietEnd, local time (wraps past midnight). Always defers.' },
    WEEKDAYS: { description: 'Only on these ISO weekdays, local time. Always defers.' },
  },
});
registerEnumType(RuleAction, {
  name: 'RuleAction',
  description: 'What happens to a message that would break a rule. Several failing: DROP wins, then FALLBACK, then DEFER.',
  valuesConfig: {
    DEFER: { description: 'Wait until every rule passes, at most until the message expires.' },
    DROP: { description: 'Not sent (SUPPRESSED with the rule as reason).' },
    FALLBACK: { description: 'Send on the next consented channel with content, if every rule passes there; else defer.' },
  },
});
registerEnumType(CalendarUnit, { name: 'CalendarUnit', description: 'A local calendar day, or an ISO week from Monday.' });

@ObjectType({ simpleResolvers: true, description: 'A contact-frequency rule. Every enabled, applicable rule must pass for a message to go.' })
export class ContactPolicy {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field() description: string;
  @Field(() => ContactPolicyKind) kind: ContactPolicyKind;
  @Field(() => Int, { nullable: true }) maxMessages: number | null;
  @Field(() => Int, { nullable: true }) windowHours: number | null;
  @Field(() => CalendarUnit, { nullable: true }) calendarUnit: CalendarUnit | null;
  @Field(() => Int, { nullable: true }) gapMinutes: number | null;
  @Field(() => String, { nullable: true, description: 'HH:MM local.' }) quietStart: string | null;
  @Field(() => String, { nullable: true, description: 'HH:MM local.' }) quietEnd: string | null;
  @Field(() => [Int], { nullable: true, description: '1 = Monday … 7 = Sunday.' }) weekdays: number[] | null;
  @Field(() => Channel, { nullable: true, description: 'Only this channel (null: every channel).' }) channel: Channel | null;
  @Field(() => MessageCategory, { nullable: true, description: 'Only this category (null: both). Transactional messages are exempt from MARKETING rules.' }) category: MessageCategory | null;
  @Field(() => String, { nullable: true, description: 'Only campaigns with this tag.' }) tag: string | null;
  @Field(() => ID, { nullable: true, description: 'Only customers in this segment.' }) segmentId: string | null;
  @Field(() => RuleAction) action: RuleAction;
  @Field({ description: 'Messages outside the rule\'s category (exempt ones) still count toward its cap or gap.' }) countsExempt: boolean;
  @Field() isEnabled: boolean;
  @Field() createdAt: Date;
  @Field() updatedAt: Date;
}

@InputType({ description: 'A contact policy. Give the fields its kind needs (and only those).' })
export class ContactPolicyInput {
  @Field() name: string;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => ContactPolicyKind) kind: ContactPolicyKind;
  @Field(() => Int, { nullable: true, description: 'ROLLING_CAP, CALENDAR_CAP.' }) maxMessages?: number | null;
  @Field(() => Int, { nullable: true, description: 'ROLLING_CAP (1–8784).' }) windowHours?: number | null;
  @Field(() => CalendarUnit, { nullable: true, description: 'CALENDAR_CAP.' }) calendarUnit?: CalendarUnit | null;
  @Field(() => Int, { nullable: true, description: 'MIN_GAP.' }) gapMinutes?: number | null;
  @Field(() => String, { nullable: true, description: 'QUIET_HOURS: HH:MM.' }) quietStart?: string | null;
  @Field(() => String, { nullable: true, description: 'QUIET_HOURS: HH:MM.' }) quietEnd?: string | null;
  @Field(() => [Int], { nullable: true, description: 'WEEKDAYS: 1 = Monday … 7 = Sunday.' }) weekdays?: number[] | null;
  @Field(() => Channel, { nullable: true }) channel?: Channel | null;
  @Field(() => MessageCategory, { nullable: true }) category?: MessageCategory | null;
  @Field(() => String, { nullable: true }) tag?: string | null;
  @Field(() => ID, { nullable: true }) segmentId?: string | null;
  @Field(() => RuleAction) action: RuleAction;
  @Field(() => Boolean, { nullable: true, description: 'Default false.' }) countsExempt?: boolean | null;
  @Field(() => Boolean, { nullable: true, description: 'Default true.' }) isEnabled?: boolean | null;
}

@InputType({ description: 'Changes to a contact policy; omitted fields stay (a new kind drops the old kind\'s fields).' })
export class UpdateContactPolicyInput {
  @Field(() => String, { nullable: true }) name?: string | null;
  @Field(() => String, { nullable: true }) description?: string | null;
  @Field(() => ContactPolicyKind, { nullable: true }) kind?: ContactPolicyKind | null;
  @Field(() => Int, { nullable: true }) maxMessages?: number | null;
  @Field(() => Int, { nullable: true }) windowHours?: number | null;
  @Field(() => CalendarUnit, { nullable: true }) calendarUnit?: CalendarUnit | null;
  @Field(() => Int, { nullable: true }) gapMinutes?: number | null;
  @Field(() => String, { nullable: true }) quietStart?: string | null;
  @Field(() => String, { nullable: true }) quietEnd?: string | null;
  @Field(() => [Int], { nullable: true }) weekdays?: number[] | null;
  @Field(() => Channel, { nullable: true }) channel?: Channel | null;
  @Field(() => MessageCategory, { nullable: true }) category?: MessageCategory | null;
  @Field(() => String, { nullable: true }) tag?: string | null;
  @Field(() => ID, { nullable: true }) segmentId?: string | null;
  @Field(() => RuleAction, { nullable: true }) action?: RuleAction | null;
  @Field(() => Boolean, { nullable: true }) countsExempt?: boolean | null;
  @Field(() => Boolean, { nullable: true }) isEnabled?: boolean | null;
}

@InputType({ description: "A customer's own cap on marketing messages." })
export class ContactCapInput {
  @Field(() => Int, { description: '0 stops marketing without touching consent.' }) max: number;
  @Field(() => CalendarUnit) unit: CalendarUnit;
}

@ObjectType({ simpleResolvers: true, description: "A customer's own cap on marketing messages." })
export class ContactCap {
  @Field(() => Int) max: number;
  @Field(() => CalendarUnit) unit: CalendarUnit;
}

@ObjectType({ simpleResolvers: true, description: "A customer's own contact limits, honoured by every rule check (excess marketing is dropped)." })
export class ContactPreferences {
  @Field(() => ID) customerId: string;
  @Field(() => ContactCap, { nullable: true }) cap: ContactCap | null;
  @Field(() => Date, { nullable: true, description: 'No marketing before this instant.' }) marketingPausedUntil: Date | null;
  @Field() updatedAt: Date;
}
