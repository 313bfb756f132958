import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { GraphQLJSON, GraphQLJSONObject } from 'graphql-scalars';

/*
 * Bulk inputs are validated row by row by the domain, not by GraphQL: enum and date fields are plain
 * strings, numbers and booleans are JSON values, and required fields are nullable here, so that one
 * bad value rejects its row (with its path and a code), never the whole batch of up to 10,000 rows.
 * Expected types and allowed values are in each description.
 */

@InputType({ description: 'A consent change as received: `{ channel, status, source, at }`.' })
export class ConsentChangeInput {
  @Field(() => String, { nullable: true, description: 'Required: EMAIL or SMS.' })
  channel?: string | null;

  @Field(() => String, { nullable: true, description: 'Required: SUBSCRIBED, UNSUBSCRIBED or NEVER_ASKED.' })
  status?: string | null;

  @Field(() => String, { nullable: true, description: 'Where it was given or withdrawn (web form, store, CRM, ...).' })
  source?: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'When the customer gave or withdrew it (ISO 8601 with offset); default now, so re-sending a change without `at` records it again. An older change never overrides a newer one.',
  })
  at?: string | null;
}

@InputType({
  description:
    'One customer to create or merge, keyed by externalId. Omitted fields are left unchanged, an explicit null clears a field, attributes merge by key (a key set to null is removed).',
})
export class CustomerUpsertInput {
  @Field(() => String, { nullable: true, description: 'Required: the key upstream systems use.' })
  externalId?: string | null;

  @Field(() => String, { nullable: true }) email?: string | null;
  @Field(() => String, { nullable: true, description: 'International (+33...) or national with `country` in the same row; stored in E.164.' })
  phone?: string | null;
  @Field(() => String, { nullable: true }) firstName?: string | null;
  @Field(() => String, { nullable: true }) lastName?: string | null;
  @Field(() => String, { nullable: true, description: 'YYYY-MM-DD.' }) birthDate?: string | null;
  @Field(() => String, { nullable: true, description: 'FEMALE, MALE, NON_BINARY, OTHER or UNDISCLOSED.' }) gender?: string | null;
  @Field(() => String, { nullable: true, description: 'BCP 47 tag, e.g. fr-FR.' }) locale?: string | null;
  @Field(() => String, { nullable: true, description: 'IANA time zone, e.g. Europe/Paris.' }) timeZone?: string | null;
  @Field(() => String, { nullable: true }) streetAddress?: string | null;
  @Field(() => String, { nullable: true }) city?: string | null;
  @Field(() => String, { nullable: true }) region?: string | null;
  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2, e.g. FR.' }) country?: string | null;
  @Field(() => String, { nullable: true }) postalCode?: string | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'A whole number from 1 to 50.' }) householdSize?: unknown;
  @Field(() => String, { nullable: true }) incomeBand?: string | null;
  @Field(() => String, { nullable: true }) occupation?: string | null;
  @Field(() => String, { nullable: true, description: 'WEB, APP, STORE, CALL_CENTER, SOCIAL, PARTNER or OTHER.' }) signupChannel?: string | null;
  @Field(() => String, { nullable: true, description: 'ISO 8601 date-time with offset.' }) signedUpAt?: string | null;
  @Field(() => String, { nullable: true }) acquisitionSource?: string | null;
  @Field(() => String, { nullable: true }) referralSource?: string | null;
  @Field(() => [String], { nullable: true }) devices?: string[] | null;
  @Field(() => [String], { nullable: true }) platforms?: string[] | null;
  @Field(() => String, { nullable: true }) loyaltyTier?: string | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'A whole number, at least 0.' }) loyaltyPoints?: unknown;
  @Field(() => String, { nullable: true, description: 'EMAIL or SMS.' }) preferredChannel?: string | null;

  @Field(() => GraphQLJSONObject, { nullable: true, description: 'Free attributes; keys and types from the attribute catalogue.' })
  attributes?: Record<string, unknown> | null;

  @Field(() => [ConsentChangeInput], { nullable: true, description: 'Consent changes to record for this customer.' })
  consents?: ConsentChangeInput[] | null;
}

@InputType({ description: 'One purchase, keyed by externalId. A re-sent identical row changes nothing.' })
export class TransactionInput {
  @Field(() => String, { nullable: true, description: 'Required.' }) externalId?: string | null;
  @Field(() => String, { nullable: true, description: 'Required: the externalId of the customer.' }) customerExternalId?: string | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'Required: a number, at least 0, two decimals at most.' }) amount?: unknown;
  @Field(() => String, { nullable: true, description: 'Required: ISO 4217, e.g. EUR.' }) currency?: string | null;
  @Field(() => String, { nullable: true, description: 'Required: ISO 8601 date-time with offset.' }) occurredAt?: string | null;
  @Field(() => String, { nullable: true }) category?: string | null;
  @Field(() => String, { nullable: true }) product?: string | null;
  @Field(() => String, { nullable: true }) channel?: string | null;
  @Field(() => String, { nullable: true }) store?: string | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'A whole number, at least 0 (default 0).' }) pointsEarned?: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'A whole number, at least 0 (default 0).' }) pointsRedeemed?: unknown;
  @Field(() => GraphQLJSON, { nullable: true, description: 'true or false (default false). Refunded purchases do not count as spend.' }) refunded?: unknown;
}

@InputType({ description: 'One behavioural event, keyed by externalId.' })
export class EventInput {
  @Field(() => String, { nullable: true, description: 'Required.' }) externalId?: string | null;
  @Field(() => String, { nullable: true, description: 'Required: the externalId of the customer.' }) customerExternalId?: string | null;
  @Field(() => String, { nullable: true, description: 'Required: snake_case, e.g. song_favourited, item_returned, support_contacted.' }) name?: string | null;
  @Field(() => GraphQLJSON, { nullable: true, description: 'A JSON object of free properties.' }) properties?: unknown;
  @Field(() => String, { nullable: true, description: 'Required: ISO 8601 date-time with offset.' }) occurredAt?: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'A problem with one row of a bulk write.' })
export class RowError {
  @Field(() => Int, { description: 'Position of the row in the input list (0-based).' })
  index: number;

  @Field({ description: 'Path of the offending value, e.g. input[3].phone.' })
  field: string;

  @Field({ description: 'Machine-readable code: INVALID_PHONE, UNKNOWN_CUSTOMER, DUPLICATE_IN_BATCH, ...' })
  code: string;

  @Field({ description: 'Human-readable explanation.' })
  reason: string;
}

@ObjectType({ simpleResolvers: true, description: 'Outcome of a bulk write: valid rows are written, each invalid row is reported and writes nothing.' })
export class BulkWriteResult {
  @Field(() => Int) received: number;
  @Field(() => Int, { description: 'Rows that created or changed something.' }) written: number;
  @Field(() => Int) inserted: number;
  @Field(() => Int) updated: number;
  @Field(() => Int, { description: 'Valid rows whose fields equal what was stored (their updatedAt did not move).' }) unchanged: number;
  @Field(() => Int, { description: 'Consent changes that became the current consent (upsertCustomers; 0 for facts).' }) consentsApplied: number;
  @Field(() => Int, { description: 'Rows refused.' }) rejectedRows: number;
  @Field(() => [RowError], { description: 'Every problem of every refused row.' }) errors: RowError[];
  @Field(() => [RowError], { description: 'Rows superseded by a later row with the same externalId in this batch.' }) duplicates: RowError[];
}
