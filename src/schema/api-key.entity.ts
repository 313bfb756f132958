import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { Field, ID, ObjectType } from 'type-graphql';
import { Role } from './enums.js';

/** An API key. Only the SHA-256 of the key is stored; the key itself is shown once at creation. */
@Entity('api_keys')
@ObjectType({ simpleResolvers: true, description: 'An API key (never the secret itself).' })
export class ApiKey {
  @Field(() => ID)
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Field()
  @Column({ type: 'text' })
  name: string;

  @Field(() => Role)
  @Column({ type: 'text' })
  role: Role;

  @Column({ name: 'key_hash', type: 'bytea', unique: true })
  keyHash: Buffer;

  @Field({ description: 'The first characters of the key, to recognise it in a list.' })
  @Column({ name: 'key_prefix', type: 'text' })
  keyPrefix: string;

  @Field()
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Field(() => Date, { nullable: true, description: 'Last use, updated at most once per cache period.' })
  @Column({ name: 'last_used_at', type: 'timestamptz', nullable: true })
  lastUsedAt: Date | null;

  @Field(() => Date, { nullable: true })
  @Column({ name: 'revoked_at', type: 'timestamptz', nullable: true })
  revokedAt: Date | null;
}
