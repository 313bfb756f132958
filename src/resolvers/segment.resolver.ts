import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { maskContactFields } from '../customers/mask.js';
import { MASKED_CONTACT_ROLES } from '../auth/access-policy.js';
import { loadCustomers } from '../customers/customer-queries.js';
import { badInput, notFound } from '../errors.js';
import { listCost } from '../http/query-cost.js';
import { loadAttributeCatalogue } from '../ingestion/attribute-catalogue.js';
import { operatorsOf } from '../segmentation/fields/field.js';
import { buildFieldRegistry } from '../segmentation/fields/registry.js';
import { profileSegment, type Engagement } from '../segmentation/profile.js';
import type { SegmentNode } from '../segmentation/rules.js';
import {
  compileDefinition,
  compileSaved,
  countBase,
  countCompiled,
  createSegment,
  deleteSegment,
  evaluateSegment,
  getSegments,
  listSegments,
  memberIds,
  updateSegment,
  type SegmentRow,
} from '../segmentation/segments.js';
import { CustomerConnection } from '../schema/customer-connection.type.js';
import { Channel } from '../schema/enums.js';
import { ProfileDimension, ProfileMetric, SegmentProfile, type EngagementRates } from '../schema/profile.types.js';
import type { Customer } from '../schema/customer.entity.js';
import { decodeCursor, encodeCursor } from '../schema/page.type.js';
import {
  CreateSegmentInput,
  Segment,
  SegmentConnection,
  SegmentField,
  SegmentNodeInput,
  SegmentPayload,
  SegmentPreview,
  UpdateSegmentInput,
  type SegmentFieldType,
  type SegmentOperator,
} from '../schema/segment.types.js';
import type { Context } from './context.js';
import { checkFirst } from './customer.resolver.js';

/** GraphQL input (class instances, nulls for absent) -> the stored definition's plain JSON. */
export function toDefinition(node: SegmentNodeInput | null | undefined): SegmentNode | undefined {
  if (node == null) return undefined;
  const strip = (o: object) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));
  const out: Record<string, unknown> = {};
  if (node.and != null) out.and = node.and.map((n) => toDefinition(n));
  if (node.or != null) out.or = node.or.map((n) => toDefinition(n));
  if (node.not != null) out.not = toDefinition(node.not);
  if (node.segment != null) out.segment = node.segment;
  if (node.condition != null) {
    const c = node.condition;
    const value = c.value ? strip(c.value) : undefined;
    if (value && 'dateRange' in value) {
      value.range = value.dateRange;
      delete value.dateRange;
    }
    const params = c.params ? strip(c.params) : undefined;
    out.condition = strip({ field: c.field, operator: c.operator, value: value && strip(value.range ? { ...value, range: strip(value.range as object) } : value), params });
  }
  return out as SegmentNode;
}

const limitsOf = (ctx: Context) => ({ maxDepth: ctx.config.segments.maxDepth });

function present(ctx: Context, customers: Customer[]): Customer[] {
  return ctx.principal && MASKED_CONTACT_ROLES.has(ctx.principal.role) ? customers.map(maskContactFields) : customers;
}

/** Customers by id, in the order of `ids`. */
async function customersInOrder(ctx: Context, ids: string[]): Promise<Customer[]> {
  if (ids.length === 0) return [];
  const rows = await loadCustomers(ctx.db, { ids });
  const byId = new Map(rows.map((r) => [r.id, r]));
  return present(
    ctx,
    ids.map((id) => byId.get(id)!).filter(Boolean),
  );
}

const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : a / b);

function rates(e: Engagement): EngagementRates {
  return {
    received30d: e.received30d,
    openRate30d: ratio(e.opened30d, e.received30d),
    clickRate30d: ratio(e.clicked30d, e.received30d),
    converted90d: e.converted90d,
    conversionRate90d: ratio(e.converted90d, e.received90d),
  };
}

@Resolver(() => Segment)
export class SegmentResolver {
  @Query(() => [SegmentField], { description: 'Every field a segment rule may use: type, operators, values, sensitivity.' })
  async segmentFields(@Ctx() ctx: Context): Promise<SegmentField[]> {
    const registry = buildFieldRegistry(await loadAttributeCatalogue(ctx.db));
    return [...registry.values()].map((f) => ({
      key: f.key,
      family: f.family,
      type: f.type as SegmentFieldType,
      operators: [...operatorsOf(f)] as SegmentOperator[],
      values: f.values ? [...f.values] : null,
      description: f.description,
      sensitive: f.sensitive,
      aggregate: f.aggregate ?? false,
      params: [...(f.params ?? [])],
      requiredParams: [...(f.requiredParams ?? [])],
    }));
  }

  @Query(() => SegmentPreview, { description: 'Counts a definition now, with a sample of members, before saving it or aiming a campaign at it.' })
  async segmentPreview(
    @Ctx() ctx: Context,
    @Arg('definition', () => SegmentNodeInput) definition: SegmentNodeInput,
    @Arg('sampleSize', () => Int, { defaultValue: 10 }) sampleSize: number,
  ): Promise<SegmentPreview> {
    checkFirst(sampleSize, 'sampleSize', 100);
    const compiled = await compileDefinition({ db: ctx.db, root: toDefinition(definition), now: ctx.now, limits: limitsOf(ctx) });
    const [{ count, ms }, base, sample] = await Promise.all([countCompiled(ctx.db, compiled), countBase(ctx.db), memberIds(ctx.db, compiled, null, sampleSize)]);
    const narrow = count < ctx.config.segments.narrowThreshold;
    return {
      count,
      share: base ? count / base : 0,
      sample: await customersInOrder(ctx, sample),
      evaluationMs: ms,
      narrow,
      warning: narrow ? `only ${count} customers: below the narrow-segment threshold of ${ctx.config.segments.narrowThreshold}` : null,
      sensitiveFields: compiled.sensitiveFields,
    };
  }

  @Query(() => SegmentProfile, {
    description: 'Characterises a saved segment (or a definition) against the whole base: value metrics with lift, value, distributions, reachability, engagement.',
  })
  async segmentProfile(
    @Ctx() ctx: Context,
    @Arg('segment', () => ID, { nullable: true }) segment?: string | null,
    @Arg('definition', () => SegmentNodeInput, { nullable: true }) definition?: SegmentNodeInput | null,
    @Arg('topN', () => Int, { defaultValue: 10, description: 'Values listed per dimension (1–50), by segment count.' }) topN = 10,
  ): Promise<SegmentProfile> {
    if ((segment == null) === (definition == null)) throw badInput('segment', 'ONE_OF', 'give either segment (a saved segment id) or definition');
    if (!Number.isInteger(topN) || topN < 1 || topN > 50) throw badInput('topN', 'OUT_OF_RANGE', 'topN is 1 to 50');
    let root: unknown;
    if (segment != null) {
      if (!/^\d{1,18}$/.test(segment)) throw badInput('segment', 'INVALID_ID', 'segment must be a segment id');
      const [s] = await getSegments(ctx.db, [segment]);
      if (!s) throw notFound('segment', `no segment ${segment}`);
      root = { segment };
    } else root = toDefinition(definition);
    const p = await profileSegment({ db: ctx.db, root, now: ctx.now, limits: limitsOf(ctx), topN, path: segment != null ? 'segment' : 'definition' });
    const share = (n: number, of: number) => (of ? n / of : 0);
    return {
      size: p.size,
      baseSize: p.baseSize,
      share: share(p.size, p.baseSize),
      metrics: p.metrics.map((m) => ({ metric: m.metric as ProfileMetric, mean: m.mean, median: m.median, baseMean: m.baseMean, baseMedian: m.baseMedian, lift: ratio(m.mean, m.baseMean) })),
      value: {
        totalRevenue: p.revenue,
        revenueShare: share(p.revenue, p.baseRevenue),
        revenueLast90d: p.revenueLast90d,
        meanClv: p.metrics.find((m) => m.metric === 'clv_predicted')!.mean,
        totalPredictedClv: p.predictedClv,
      },
      distributions: p.distributions.map((d) => ({
        dimension: d.dimension as ProfileDimension,
        buckets: d.buckets.map((b) => ({
          value: b.value,
          count: b.count,
          share: share(b.count, p.size),
          baseCount: b.baseCount,
          baseShare: share(b.baseCount, p.baseSize),
          lift: p.size ? ratio(share(b.count, p.size), share(b.baseCount, p.baseSize)) : null,
        })),
        restCount: d.restCount,
        restBaseCount: d.restBaseCount,
      })),
      reachability: p.reach.map((r) => ({ channel: r.channel as Channel, count: r.count, share: share(r.count, p.size), baseShare: share(r.baseCount, p.baseSize) })),
      engagement: rates(p.engagement),
      baseEngagement: rates(p.baseEngagement),
      sensitiveFields: p.sensitiveFields,
      evaluationMs: p.evaluationMs,
    };
  }

  @Query(() => Segment, { nullable: true, description: 'One saved segment.' })
  async segment(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<SegmentRow | null> {
    if (!/^\d{1,18}$/.test(id)) throw badInput('id', 'INVALID_ID', 'id must be a segment id');
    const [s] = await getSegments(ctx.db, [id]);
    return s ?? null;
  }

  @Query(() => SegmentConnection, { description: 'Saved segments in id order.', complexity: listCost(50) })
  async segments(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Arg('builtIn', () => Boolean, { nullable: true, description: 'true: only the segments of built-in segmentations; false: only the others.' })
    builtIn?: boolean | null,
  ): Promise<SegmentConnection> {
    checkFirst(first, 'first', 200);
    const afterId = after ? decodeCursor(after) : null;
    if (after && !afterId) throw badInput('after', 'INVALID_CURSOR', 'after is not a cursor returned by this API');
    const rows = await listSegments(ctx.db, afterId, first + 1, builtIn ?? null);
    const page = rows.slice(0, first);
    return { nodes: page as unknown as Segment[], pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? encodeCursor(page[page.length - 1].id) : null } };
  }

  @FieldResolver(() => Int, { description: 'Members right now: evaluates the segment (and records lastEvaluatedAt and evaluationMs).' })
  async size(@Root() segment: SegmentRow, @Ctx() ctx: Context): Promise<number> {
    return (await evaluateSegment({ db: ctx.db, segment, now: ctx.now, limits: limitsOf(ctx) })).count;
  }

  @FieldResolver(() => CustomerConnection, { description: 'Members in customer id order, one keyset page at a time.', complexity: listCost(50) })
  async members(
    @Root() segment: SegmentRow,
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<Omit<CustomerConnection, 'countAll'> & { countAll: () => Promise<number> }> {
    checkFirst(first, 'first', 500);
    const afterId = after ? decodeCursor(after) : null;
    if (after && !afterId) throw badInput('after', 'INVALID_CURSOR', 'after is not a cursor returned by this API');
    const compiled = await compileSaved(ctx.db, segment, ctx.now, limitsOf(ctx));
    const ids = await memberIds(ctx.db, compiled, afterId, first + 1);
    const nodes = await customersInOrder(ctx, ids.slice(0, first));
    return {
      get edges() {
        return nodes.map((node) => ({ cursor: encodeCursor(node.id), node }));
      },
      nodes,
      pageInfo: { hasNextPage: ids.length > first, endCursor: nodes.length ? encodeCursor(nodes[nodes.length - 1].id) : null },
      countAll: async () => (await countCompiled(ctx.db, compiled)).count,
    };
  }

  @Mutation(() => SegmentPayload, { description: 'Saves a segment: rules (dynamic) or a list of customers (static).' })
  async createSegment(@Ctx() ctx: Context, @Arg('input', () => CreateSegmentInput) input: CreateSegmentInput): Promise<SegmentPayload> {
    const { segment, storedMembers } = await createSegment({
      db: ctx.db,
      name: input.name,
      description: input.description,
      definition: toDefinition(input.definition),
      members: input.members,
      now: ctx.now,
      limits: limitsOf(ctx),
    });
    return { segment: segment as unknown as Segment, storedMembers };
  }

  @Mutation(() => SegmentPayload, { description: 'Changes a segment. A new definition is checked before it replaces the old one.' })
  async updateSegment(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => UpdateSegmentInput) input: UpdateSegmentInput): Promise<SegmentPayload> {
    if (!/^\d{1,18}$/.test(id)) throw badInput('id', 'INVALID_ID', 'id must be a segment id');
    const { segment, storedMembers } = await updateSegment({
      db: ctx.db,
      id,
      name: input.name,
      description: input.description,
      definition: toDefinition(input.definition),
      members: input.members,
      now: ctx.now,
      limits: limitsOf(ctx),
    });
    return { segment: segment as unknown as Segment, storedMembers };
  }

  @Mutation(() => Boolean, { description: 'Deletes a segment that no other segment uses.' })
  async deleteSegment(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<boolean> {
    if (!/^\d{1,18}$/.test(id)) throw badInput('id', 'INVALID_ID', 'id must be a segment id');
    await deleteSegment({ db: ctx.db, id });
    return true;
  }
}

