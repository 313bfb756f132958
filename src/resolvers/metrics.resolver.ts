import { Arg, Ctx, FieldResolver, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { loadCutPoints } from '../segmentation/customer-metrics.js';
import { listMetricsRuns, queueMetricsRun } from '../segmentation/metrics-runs.js';
import { Customer } from '../schema/customer.entity.js';
import { CustomerMetrics, MetricCutPoints, MetricsRefresh, MetricsRefreshKind, MetricsRefreshStatus } from '../schema/customer-metrics.types.js';
import { scheduleMetricsRun } from '../workers/queues.js';
import type { Context } from './context.js';
import { checkFirst } from './customer.resolver.js';

@Resolver(() => Customer)
export class CustomerMetricsResolver {
  @FieldResolver(() => CustomerMetrics, { nullable: true, description: 'Computed attributes (RFM, CLV, lifecycle); null until a refresh has included the customer.' })
  metrics(@Root() customer: Customer, @Ctx() ctx: Context): Promise<CustomerMetrics | null> {
    return ctx.loaders.metrics.load(customer.id);
  }
}

@Resolver()
export class MetricsResolver {
  @Query(() => [MetricsRefresh], { description: 'The latest metrics refreshes, newest first.' })
  metricsRefreshes(@Ctx() ctx: Context, @Arg('first', () => Int, { defaultValue: 10 }) first: number): Promise<MetricsRefresh[]> {
    checkFirst(first, 'first', 100);
    return listMetricsRuns({ db: ctx.db, limit: first }) as Promise<MetricsRefresh[]>;
  }

  @Query(() => MetricCutPoints, { nullable: true, description: 'The quintile cut-points behind the R, F and M scores; null before the first full refresh.' })
  metricCutPoints(@Ctx() ctx: Context): Promise<MetricCutPoints | null> {
    return loadCutPoints(ctx.db.pool);
  }

  @Mutation(() => MetricsRefresh, { description: 'Asks a worker to refresh customer metrics now. Returns the queued run; poll metricsRefreshes for its outcome.' })
  async refreshCustomerMetrics(
    @Ctx() ctx: Context,
    @Arg('kind', () => MetricsRefreshKind, { defaultValue: MetricsRefreshKind.FULL }) kind: MetricsRefreshKind,
  ): Promise<MetricsRefresh> {
    const id = await queueMetricsRun({ db: ctx.db, kind, now: ctx.now });
    await scheduleMetricsRun(ctx.services.queues, id);
    return { id, kind, status: MetricsRefreshStatus.QUEUED, requestedAt: ctx.now, startedAt: null, finishedAt: null, customers: null, durationMs: null, error: null };
  }
}
