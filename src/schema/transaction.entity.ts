import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Field, Float, ID, Int, ObjectType } from 'type-graphql';

/** A purchase (or a refunded one): the raw material of RFM, CLV and trend segments. */
@Entity('transactions')
@ObjectType({ simpleResolvers: true, description: 'A purchase by a customer.' })
export class Transaction {
  @Field(() => ID)
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Field({ description: 'The key upstream systems use for this transaction; unique.' })
  @Column({ name: 'external_id', type: 'text', unique: true })
  externalId: string;

  @Field(() => ID, { description: 'Internal id of the customer.' })
  @Column({ name: 'customer_id', type: 'bigint' })
  customerId: string;

  @Field(() => Float, { description: 'Amount in `currency`, two decimals.' })
  @Column({ type: 'numeric', precision: 14, scale: 2 })
  amount: string;

  @Field({ description: 'ISO 4217 currency code.' })
  @Column({ type: 'text' })
  currency: string;

  @Field()
  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  @Field(() => String, { nullable: true, description: 'Product category.' })
  @Column({ type: 'text', nullable: true })
  category: string | null;

  @Field(() => String, { nullable: true, description: 'Product or SKU.' })
  @Column({ type: 'text', nullable: true })
  product: string | null;

  @Field(() => String, { nullable: true, description: 'Sales channel (web, app, store, ...).' })
  @Column({ type: 'text', nullable: true })
  channel: string | null;

  @Field(() => String, { nullable: true, description: 'Store identifier, for in-store purchases.' })
  @Column({ type: 'text', nullable: true })
  store: string | null;

  @Field(() => Int)
  @Column({ name: 'points_earned', type: 'integer', default: 0 })
  pointsEarned: number;

  @Field(() => Int)
  @Column({ name: 'points_redeemed', type: 'integer', default: 0 })
  pointsRedeemed: number;

  @Field({ description: 'True when the purchase was refunded; refunded purchases do not count as spend.' })
  @Column({ name: 'is_refunded', type: 'boolean', default: false })
  isRefunded: boolean;

  @Field()
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Field()
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
