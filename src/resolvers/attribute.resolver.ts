import { Arg, Ctx, Field, InputType, Mutation, Query, Resolver } from 'type-graphql';
import { defineAttribute, deleteAttributeDefinition, listAttributeDefinitions } from '../customers/attribute-definitions.js';
import { AttributeDefinition } from '../schema/attribute-definition.entity.js';
import { AttributeType } from '../schema/enums.js';
import type { Context } from './context.js';

@InputType({ description: 'A catalogue entry for a free customer attribute.' })
export class AttributeDefinitionInput {
  @Field({ description: 'snake_case key used in Customer.attributes.' })
  key: string;

  @Field(() => AttributeType)
  type: AttributeType;

  @Field(() => [String], { nullable: true, description: 'Closed list of values (STRING and LIST only); null for open.' })
  allowedValues?: string[] | null;

  @Field(() => String, { nullable: true })
  description?: string | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Flag health, religion, ethnicity, ... so that segments using it are audited.' })
  isSensitive?: boolean | null;
}

@Resolver(() => AttributeDefinition)
export class AttributeResolver {
  @Query(() => [AttributeDefinition], { description: 'The attribute catalogue: every free attribute customers may carry.' })
  attributeDefinitions(@Ctx() ctx: Context): Promise<AttributeDefinition[]> {
    return listAttributeDefinitions(ctx.db);
  }

  @Mutation(() => AttributeDefinition, { description: 'Creates or updates a catalogue entry.' })
  defineAttribute(@Ctx() ctx: Context, @Arg('input', () => AttributeDefinitionInput) input: AttributeDefinitionInput): Promise<AttributeDefinition> {
    return defineAttribute({ db: ctx.db, ...input, now: ctx.now });
  }

  @Mutation(() => Boolean, { description: 'Deletes a catalogue entry that no customer carries.' })
  async deleteAttributeDefinition(@Ctx() ctx: Context, @Arg('key') key: string): Promise<boolean> {
    await deleteAttributeDefinition({ db: ctx.db, key });
    return true;
  }
}
