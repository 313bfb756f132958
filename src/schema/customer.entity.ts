import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Field, ID, Int, ObjectType } from 'type-graphql';
import { GraphQLJSONObject, GraphQLLocalDate } from 'graphql-scalars';
import { Channel, Gender, SignupChannel } from './enums.js';

/**
 * A customer: the person Cible segments and messages. Database row and GraphQL type at once;
 * read paths select camelCase aliases so GraphQL's default resolvers read the row as-is.
 */
@Entity('customers')
@ObjectType({ simpleResolvers: true, description: 'A customer of the brand, with every kind of data the segmentation engine reads.' })
export class Customer {
  @Field(() => ID, { description: 'Internal id (a compact bigint, as a string).' })
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Field({ description: 'The key upstream systems use for this customer; unique.' })
  @Column({ name: 'external_id', type: 'text', unique: true })
  externalId: string;

  @Field(() => String, { nullable: true, description: 'Email address, lower-cased. Masked for the analyst role.' })
  @Column({ type: 'text', nullable: true })
  email: string | null;

  @Field(() => String, { nullable: true, description: 'Mobile number in E.164 form (+33612345678). Masked for the analyst role.' })
  @Column({ type: 'text', nullable: true })
  phone: string | null;

  @Field(() => String, { nullable: true })
  @Column({ name: 'first_name', type: 'text', nullable: true })
  firstName: string | null;

  @Field(() => String, { nullable: true })
  @Column({ name: 'last_name', type: 'text', nullable: true })
  lastName: string | null;

  @Field(() => GraphQLLocalDate, { nullable: true, description: 'Birth date (sensitive: flagged when a segment uses it).' })
  @Column({ name: 'birth_date', type: 'date', nullable: true })
  birthDate: string | null;

  @Field(() => Gender, { nullable: true, description: 'Self-declared gender (sensitive).' })
  @Column({ type: 'text', nullable: true })
  gender: Gender | null;

  @Field(() => String, { nullable: true, description: 'BCP 47 language tag, e.g. fr-FR.' })
  @Column({ type: 'text', nullable: true })
  locale: string | null;

  @Field(() => String, { nullable: true, description: 'IANA time zone, e.g. Europe/Paris; quiet hours use it.' })
  @Column({ name: 'time_zone', type: 'text', nullable: true })
  timeZone: string | null;

  @Field(() => String, { nullable: true, description: 'Street address. Masked for the analyst role.' })
  @Column({ name: 'street_address', type: 'text', nullable: true })
  streetAddress: string | null;

  @Field(() => String, { nullable: true })
  @Column({ type: 'text', nullable: true })
  city: string | null;

  @Field(() => String, { nullable: true, description: 'Region, state or département.' })
  @Column({ type: 'text', nullable: true })
  region: string | null;

  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2 country code, upper-case.' })
  @Column({ type: 'text', nullable: true })
  country: string | null;

  @Field(() => String, { nullable: true })
  @Column({ name: 'postal_code', type: 'text', nullable: true })
  postalCode: string | null;

  @Field(() => Int, { nullable: true, description: 'Number of people in the household.' })
  @Column({ name: 'household_size', type: 'smallint', nullable: true })
  householdSize: number | null;

  @Field(() => String, { nullable: true, description: 'Income band, as the brand defines it (e.g. "30-45k").' })
  @Column({ name: 'income_band', type: 'text', nullable: true })
  incomeBand: string | null;

  @Field(() => String, { nullable: true })
  @Column({ type: 'text', nullable: true })
  occupation: string | null;

  @Field(() => SignupChannel, { nullable: true, description: 'Where the customer signed up.' })
  @Column({ name: 'signup_channel', type: 'text', nullable: true })
  signupChannel: SignupChannel | null;

  @Field(() => Date, { nullable: true, description: 'When the customer signed up, as the upstream system says.' })
  @Column({ name: 'signed_up_at', type: 'timestamptz', nullable: true })
  signedUpAt: Date | null;

  @Field(() => String, { nullable: true, description: 'Acquisition source (campaign, ad network, ...).' })
  @Column({ name: 'acquisition_source', type: 'text', nullable: true })
  acquisitionSource: string | null;

  @Field(() => String, { nullable: true, description: 'Referral source (referring customer or partner code).' })
  @Column({ name: 'referral_source', type: 'text', nullable: true })
  referralSource: string | null;

  @Field(() => [String], { nullable: true, description: 'Devices used (e.g. iphone, android_phone, desktop).' })
  @Column({ type: 'text', array: true, nullable: true })
  devices: string[] | null;

  @Field(() => [String], { nullable: true, description: 'Platforms used (e.g. ios, android, web).' })
  @Column({ type: 'text', array: true, nullable: true })
  platforms: string[] | null;

  @Field(() => String, { nullable: true, description: 'Loyalty tier or membership level.' })
  @Column({ name: 'loyalty_tier', type: 'text', nullable: true })
  loyaltyTier: string | null;

  @Field(() => Int, { nullable: true, description: 'Current loyalty points balance.' })
  @Column({ name: 'loyalty_points', type: 'integer', nullable: true })
  loyaltyPoints: number | null;

  @Field(() => Channel, { nullable: true, description: 'The channel the customer prefers to be contacted on.' })
  @Column({ name: 'preferred_channel', type: 'text', nullable: true })
  preferredChannel: Channel | null;

  @Field(() => GraphQLJSONObject, { description: 'Free attributes, typed by the attribute catalogue.' })
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  attributes: Record<string, unknown>;

  @Field({ description: 'When Cible first stored this customer.' })
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Field({ description: 'Last time any customer field actually changed (an identical re-send does not move it).' })
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;

  @Field(() => Date, { nullable: true, description: 'Set when the customer was erased (GDPR). Nothing is ever sent to an erased customer.' })
  @Column({ name: 'erased_at', type: 'timestamptz', nullable: true })
  erasedAt: Date | null;

  // Reachability, kept by triggers (migration 1764600000000) for audiences; never written by the ORM.

  /** customer_consents.status on EMAIL (NULL: no consent row). */
  @Column({ name: 'email_consent', type: 'text', nullable: true, select: false, insert: false, update: false })
  emailConsent?: string | null;

  /** customer_consents.status on SMS (NULL: no consent row). */
  @Column({ name: 'sms_consent', type: 'text', nullable: true, select: false, insert: false, update: false })
  smsConsent?: string | null;

  /** The email is set (generated). */
  @Column({ name: 'email_present', type: 'boolean', select: false, insert: false, update: false })
  emailPresent?: boolean;

  /** The phone is set (generated). */
  @Column({ name: 'phone_present', type: 'boolean', select: false, insert: false, update: false })
  phonePresent?: boolean;

  /** The email is blocklisted (hard bounce, complaint). */
  @Column({ name: 'email_blocked', type: 'boolean', default: false, select: false, insert: false, update: false })
  emailBlocked?: boolean;

  /** The phone is blocklisted (STOP, hard failure). */
  @Column({ name: 'phone_blocked', type: 'boolean', default: false, select: false, insert: false, update: false })
  phoneBlocked?: boolean;

  /** Another live customer has the same email. */
  @Column({ name: 'email_shared', type: 'boolean', default: false, select: false, insert: false, update: false })
  emailShared?: boolean;

  /** Another live customer has the same phone. */
  @Column({ name: 'phone_shared', type: 'boolean', default: false, select: false, insert: false, update: false })
  phoneShared?: boolean;

  /** The columns above and the preferred channel as one code (generated, migration 1764800000000; bits in src/campaigns/reach.ts). */
  @Column({ name: 'reach', type: 'smallint', select: false, insert: false, update: false })
  reach?: number;
}
