import 'reflect-metadata';
import { GraphQLInputObjectType, type GraphQLSchema } from 'graphql';
import { buildSchema } from 'type-graphql';
import { DateTimeISO } from '../schema/date-time.scalar.js';
import { ApiKeyResolver } from './api-key.resolver.js';
import { AttributeResolver } from './attribute.resolver.js';
import { ClusteringResolver } from './clustering.resolver.js';
import { ConsentResolver } from './consent.resolver.js';
import { CustomerConnectionResolver, CustomerResolver, installHotCustomerResolvers } from './customer.resolver.js';
import { IngestionResolver } from './ingestion.resolver.js';
import { CustomerMetricsResolver, MetricsResolver } from './metrics.resolver.js';
import { SegmentResolver } from './segment.resolver.js';
import { SegmentationResolver } from './segmentation.resolver.js';
import { CampaignResolver } from './campaign.resolver.js';
import { ContactPolicyResolver } from './contact-policy.resolver.js';

/** Every resolver class of the API. */
export const resolvers = [CustomerResolver, CustomerConnectionResolver, IngestionResolver, ConsentResolver, AttributeResolver, ApiKeyResolver, CustomerMetricsResolver, MetricsResolver, SegmentResolver, SegmentationResolver, ClusteringResolver, CampaignResolver, ContactPolicyResolver] as const;

/**
 * Input types that are "exactly one of" their fields. type-graphql has no option for graphql's
 * `@oneOf`, so the flag is set on the built schema (graphql 16.9+ enforces it and prints it).
 */
export const ONE_OF_INPUTS = ['CustomerRefInput', 'SegmentNodeInput', 'ValueInput'] as const;

let built: Promise<GraphQLSchema> | undefined;

/** Builds the GraphQL schema once per process (class-validator on, `@oneOf` inputs flagged). */
export function buildCibleSchema(): Promise<GraphQLSchema> {
  built ??= buildSchema({ resolvers: [...resolvers], validate: true, scalarsMap: [{ type: Date, scalar: DateTimeISO }] }).then((schema) => {
    for (const name of ONE_OF_INPUTS) {
      const type = schema.getType(name);
      if (!(type instanceof GraphQLInputObjectType)) throw new Error(`@oneOf input ${name} is not in the schema`);
      type.isOneOf = true;
    }
    installHotCustomerResolvers(schema);
    return schema;
  });
  return built;
}
