import { Column, Entity, PrimaryColumn } from 'typeorm';
import { Field, ObjectType } from 'type-graphql';
import { AttributeType } from './enums.js';

/**
 * One entry of the attribute catalogue: the type and sensitivity of a free customer attribute.
 * Upserts are validated against it; the segment field registry and templates read it.
 */
@Entity('attribute_definitions')
@ObjectType({ simpleResolvers: true, description: 'A free customer attribute: its key, JSON type, allowed values and sensitivity.' })
export class AttributeDefinition {
  @Field({ description: 'Key in `Customer.attributes`, snake_case.' })
  @PrimaryColumn({ type: 'text' })
  key: string;

  @Field(() => AttributeType)
  @Column({ type: 'text' })
  type: AttributeType;

  @Field(() => [String], { nullable: true, description: 'Closed list of allowed values (STRING and LIST types); null when open.' })
  @Column({ name: 'allowed_values', type: 'text', array: true, nullable: true })
  allowedValues: string[] | null;

  @Field()
  @Column({ type: 'text', default: '' })
  description: string;

  @Field({ description: 'Sensitive attributes (health, religion, ...) are flagged wherever a segment rule uses them.' })
  @Column({ name: 'is_sensitive', type: 'boolean', default: false })
  isSensitive: boolean;

  @Field()
  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Field()
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
