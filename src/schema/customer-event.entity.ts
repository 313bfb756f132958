import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Field, ID, ObjectType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';

/** A behavioural or needs-based signal: `song_favourited`, `item_returned`, `support_contacted`, ... */
@Entity('customer_events')
@ObjectType('CustomerEvent', { simpleResolvers: true, description: 'Something a customer did, with free properties.' })
export class CustomerEvent {
  @Field(() => ID)
  @PrimaryGeneratedColumn('identity', { type: 'bigint', generatedIdentity: 'ALWAYS' })
  id: string;

  @Field({ description: 'The key upstream systems use for this event; unique.' })
  @Column({ name: 'external_id', type: 'text', unique: true })
  externalId: string;

  @Field(() => ID, { description: 'Internal id of the customer.' })
  @Column({ name: 'customer_id', type: 'bigint' })
  customerId: string;

  @Field({ description: 'Event name, snake_case (e.g. song_favourited).' })
  @Column({ type: 'text' })
  name: string;

  @Field(() => GraphQLJSONObject)
  @Column({ type: 'jsonb', default: () => "'{}'::jsonb" })
  properties: Record<string, unknown>;

  @Field()
  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt: Date;

  @Field()
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}
