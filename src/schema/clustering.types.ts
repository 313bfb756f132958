import { Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageInfo } from './page.type.js';
import { SnapshotStatus } from './segmentation.types.js';

export enum FeatureTransform {
  NONE = 'NONE',
  LOG1P = 'LOG1P',
}
registerEnumType(FeatureTransform, {
  name: 'FeatureTransform',
  description: 'Applied to a feature before standardisation. LOG1P: sign(x)·ln(1 + |x|), for skewed amounts and counts (spend, purchases).',
});

@InputType({ description: 'A feature of a clustering: a per-customer NUMBER field of segmentFields.' })
export class ClusteringFeatureInput {
  @Field({ description: 'e.g. metrics.total_spent, metrics.recency_days, attributes.household_income.' }) field: string;
  @Field(() => FeatureTransform, { nullable: true, defaultValue: FeatureTransform.NONE }) transform?: FeatureTransform | null;
}

@InputType({ description: 'A k-means clustering of the base. Give `k`, or a range kMin..kMax (default 2..8) from which the best mean silhouette wins.' })
export class RunClusteringInput {
  @Field({ description: 'Name of the CLUSTERING segmentation it creates (its segments are named after it).' }) name: string;
  @Field(() => [ClusteringFeatureInput], { description: '1 to 10 features; customers missing one are not clustered.' }) features: ClusteringFeatureInput[];
  @Field(() => Int, { nullable: true, description: 'Exactly this many clusters (2–20).' }) k?: number | null;
  @Field(() => Int, { nullable: true, description: 'Fewest clusters tried (2–20, default 2).' }) kMin?: number | null;
  @Field(() => Int, { nullable: true, description: 'Most clusters tried (2–20, default 8).' }) kMax?: number | null;
  @Field(() => Int, { nullable: true, description: 'Seed of the sample and of k-means++: the same seed on the same data gives the same clusters (default 1).' })
  seed?: number | null;
  @Field(() => Int, { nullable: true, description: 'Customers sampled to fit the clusters (100–200,000, default 100,000); every eligible customer is then assigned.' })
  sampleSize?: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'A feature of a clustering run.' })
export class ClusteringFeature {
  @Field() field: string;
  @Field(() => FeatureTransform) transform: FeatureTransform;
}

@ObjectType({ simpleResolvers: true, description: 'One number of clusters tried: a fit from the run\'s seed (the chosen k is then refitted from two more seeds, the lowest inertia kept).' })
export class ClusteringCandidate {
  @Field(() => Int) k: number;
  @Field(() => Float, { description: 'Mean silhouette on up to 3,000 sampled customers (−1..1; higher: better separated clusters).' }) silhouette: number;
  @Field(() => Float, { description: 'Sum of squared distances of the sample to their centres, in standardised units (the elbow curve).' }) inertia: number;
  @Field(() => Int, { description: 'k-means iterations of this fit.' }) iterations: number;
}

@ObjectType({ simpleResolvers: true, description: 'Time spent per phase of a run.' })
export class ClusteringTimings {
  @Field(() => Int, { description: 'Reading the sample from PostgreSQL.' }) sampleMs: number;
  @Field(() => Int, { description: 'k-means fits (one per k tried, two more for the chosen k) and silhouettes.' }) kmeansMs: number;
  @Field(() => Int, { description: 'Assigning every eligible customer in PostgreSQL and writing the members.' }) assignMs: number;
}

@ObjectType({ simpleResolvers: true, description: 'A k-means clustering run and the CLUSTERING segmentation it produced.' })
export class ClusteringRun {
  @Field(() => ID) id: string;
  @Field() name: string;
  @Field(() => SnapshotStatus) status: SnapshotStatus;
  @Field(() => [ClusteringFeature]) features: ClusteringFeature[];
  @Field(() => Int) kMin: number;
  @Field(() => Int) kMax: number;
  @Field(() => Int) seed: number;
  @Field(() => Int) sampleSize: number;
  @Field() requestedAt: Date;
  @Field(() => Date, { nullable: true }) startedAt: Date | null;
  @Field(() => Date, { nullable: true }) finishedAt: Date | null;
  @Field(() => Int, { nullable: true, description: 'Customers sampled (fewer than sampleSize when fewer are eligible).' }) sampled: number | null;
  @Field(() => Int, { nullable: true, description: 'The number of clusters kept: the best mean silhouette of the range (less a centre no sampled customer was nearest to).' }) chosenK: number | null;
  @Field(() => [ClusteringCandidate], { nullable: true, description: 'Every k tried, in order.' }) candidates: ClusteringCandidate[] | null;
  @Field(() => ID, { nullable: true, description: 'The segmentation created (null until SUCCEEDED, or once deleted).' }) segmentationId: string | null;
  @Field(() => Int, { nullable: true, description: 'Customers assigned to a cluster: those with every feature set.' }) assigned: number | null;
  @Field(() => Int, { nullable: true, description: 'Customers of the base not clustered (a feature not set): the segmentation\'s "everyone else".' })
  unassigned: number | null;
  @Field(() => ClusteringTimings, { nullable: true }) timings: ClusteringTimings | null;
  @Field(() => String, { nullable: true }) error: string | null;
}

@ObjectType({ simpleResolvers: true, description: 'A page of clustering runs, newest first.' })
export class ClusteringRunConnection {
  @Field(() => [ClusteringRun]) nodes: ClusteringRun[];
  @Field(() => PageInfo) pageInfo: PageInfo;
}
