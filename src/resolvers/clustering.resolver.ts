import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { badInput } from '../errors.js';
import { listCost } from '../http/query-cost.js';
import { getClusteringRuns, listClusteringRuns, queueClustering, type ClusteringRunRow } from '../segmentation/clustering.js';
import { getSegmentations, type SegmentationRow } from '../segmentation/segmentations.js';
import { ClusteringRun, ClusteringRunConnection, RunClusteringInput } from '../schema/clustering.types.js';
import { decodeCursor, encodeCursor } from '../schema/page.type.js';
import { Segmentation } from '../schema/segmentation.types.js';
import { scheduleClustering } from '../workers/queues.js';
import type { Context } from './context.js';
import { checkFirst } from './customer.resolver.js';

@Resolver(() => ClusteringRun)
export class ClusteringResolver {
  @Mutation(() => ClusteringRun, {
    description:
      'Asks a worker to cluster the base with k-means over the given features. Returns the queued run; poll `clusteringRun` for its outcome. ' +
      'A SUCCEEDED run has created a CLUSTERING segmentation of COMPUTED segments (one per cluster, largest first in the sample).',
  })
  async runClustering(@Ctx() ctx: Context, @Arg('input', () => RunClusteringInput) input: RunClusteringInput): Promise<ClusteringRunRow> {
    const run = await queueClustering({ db: ctx.db, ...input, now: ctx.now, limits: { maxDepth: ctx.config.segments.maxDepth } });
    await scheduleClustering(ctx.services.queues, run.id);
    return run;
  }

  @Query(() => ClusteringRun, { nullable: true, description: 'One clustering run.' })
  async clusteringRun(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<ClusteringRunRow | null> {
    if (!/^\d{1,18}$/.test(id)) throw badInput('id', 'INVALID_ID', 'id must be a clustering run id');
    const [run] = await getClusteringRuns(ctx.db, [id]);
    return run ?? null;
  }

  @Query(() => ClusteringRunConnection, { description: 'Clustering runs, newest first.', complexity: listCost(20) })
  async clusteringRuns(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<ClusteringRunConnection> {
    checkFirst(first, 'first', 200);
    const before = after ? decodeCursor(after) : null;
    if (after && !before) throw badInput('after', 'INVALID_CURSOR', 'after is not a cursor returned by this API');
    const rows = await listClusteringRuns(ctx.db, before, first + 1);
    const page = rows.slice(0, first);
    return { nodes: page as ClusteringRun[], pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? encodeCursor(page[page.length - 1].id) : null } };
  }

  @FieldResolver(() => Segmentation, { nullable: true, description: 'The CLUSTERING segmentation the run created.' })
  async segmentation(@Root() run: ClusteringRunRow, @Ctx() ctx: Context): Promise<SegmentationRow | null> {
    if (!run.segmentationId) return null;
    const [s] = await getSegmentations(ctx.db, [run.segmentationId]);
    return s ?? null;
  }
}
