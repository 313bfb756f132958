import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { Field, ObjectType } from 'type-graphql';
import { Channel, ConsentStatus } from './enums.js';

/** The current marketing consent of one customer on one channel (the newest change wins). */
@Entity('customer_consents')
@ObjectType('Consent', { simpleResolvers: true, description: "A customer's current marketing consent on one channel." })
export class CustomerConsent {
  @PrimaryColumn({ name: 'customer_id', type: 'bigint' })
  customerId: string;

  @Field(() => Channel)
  @PrimaryColumn({ type: 'text' })
  channel: Channel;

  @Field(() => ConsentStatus)
  @Column({ type: 'text' })
  status: ConsentStatus;

  @Field(() => String, { nullable: true, description: 'Where the consent was given or withdrawn (web form, store, STOP reply, ...).' })
  @Column({ type: 'text', nullable: true })
  source: string | null;

  @Field(() => Date, { nullable: true, description: 'When the customer gave or withdrew consent; null when never asked.' })
  @Column({ name: 'changed_at', type: 'timestamptz' })
  changedAt: Date | null;

  @Field(() => Date, { nullable: true, description: 'When Cible recorded it.' })
  @Column({ name: 'recorded_at', type: 'timestamptz', default: () => 'now()' })
  recordedAt: Date | null;
}

/** Every consent change ever received, applied or not: the audit trail. */
@Entity('consent_changes')
@ObjectType({ simpleResolvers: true, description: 'One consent change as received, kept for audit.' })
export class ConsentChange {
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Column({ name: 'customer_id', type: 'bigint' })
  customerId: string;

  @Field(() => Channel)
  @Column({ type: 'text' })
  channel: Channel;

  @Field(() => ConsentStatus)
  @Column({ type: 'text' })
  status: ConsentStatus;

  @Field(() => String, { nullable: true })
  @Column({ type: 'text', nullable: true })
  source: string | null;

  @Field({ description: 'When the change happened at the source.' })
  @Column({ name: 'changed_at', type: 'timestamptz' })
  changedAt: Date;

  @Field({ description: 'When Cible received it.' })
  @Column({ name: 'recorded_at', type: 'timestamptz', default: () => 'now()' })
  recordedAt: Date;

  @Field({ description: 'False when a newer change was already known, so this one did not change the current consent.' })
  @Column({ name: 'is_applied', type: 'boolean' })
  isApplied: boolean;
}
