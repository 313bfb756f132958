import { Arg, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { badInput, notFound } from '../errors.js';
import { listCost } from '../http/query-cost.js';
import {
  createSegmentation,
  deleteSegmentation,
  evaluateSegmentation,
  getSegmentations,
  listSegmentations,
  listSnapshots,
  queueSnapshot,
  segmentIdsOf,
  snapshotAt,
  transitionMatrix,
  updateSegmentation,
  type SegmentationRow,
  type SnapshotLegendEntry,
  type SnapshotRow,
} from '../segmentation/segmentations.js';
import { getSegments } from '../segmentation/segments.js';
import { decodeCursor, encodeCursor } from '../schema/page.type.js';
import { Segment } from '../schema/segment.types.js';
import {
  CreateSegmentationInput,
  Segmentation,
  SegmentationConnection,
  SegmentationDistribution,
  SegmentationSnapshot,
  SegmentationSnapshotConnection,
  SegmentShare,
  SnapshotStatus,
  SnapshotTrigger,
  TransitionMatrix,
  TransitionStateKind,
  UpdateSegmentationInput,
  type TransitionState,
} from '../schema/segmentation.types.js';
import { scheduleSnapshot } from '../workers/queues.js';
import type { Context } from './context.js';
import { checkFirst } from './customer.resolver.js';

const limitsOf = (ctx: Context) => ({ maxDepth: ctx.config.segments.maxDepth });

function checkId(id: string, field: string, what: string): void {
  if (!/^\d{1,18}$/.test(id)) throw badInput(field, 'INVALID_ID', `${field} must be a ${what} id`);
}

async function segmentsById(ctx: Context, ids: string[]): Promise<Map<string, Segment>> {
  const rows = ids.length ? await getSegments(ctx.db, [...new Set(ids)]) : [];
  return new Map(rows.map((r) => [r.id, r as unknown as Segment]));
}

/**
 * Per-segment shares from a legend and its counts (index 0 = everyone else, listed last), with the
 * value of each segment when it was evaluated live.
 */
function shares(
  legend: SnapshotLegendEntry[],
  counts: number[],
  otherLabel: string,
  segments: Map<string, Segment>,
  value?: { revenue: number[]; meanClv: (number | null)[] },
): SegmentShare[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const revenue = value ? value.revenue.reduce((a, b) => a + b, 0) : 0;
  const entry = (code: number, label: string, segment: Segment | null, position: number | null): SegmentShare => ({
    segment,
    label,
    position,
    count: counts[code] ?? 0,
    share: total ? (counts[code] ?? 0) / total : 0,
    revenue: value ? value.revenue[code] : null,
    revenueShare: value ? (revenue ? value.revenue[code] / revenue : 0) : null,
    meanClv: value ? value.meanClv[code] : null,
  });
  return [...legend.map((e) => entry(e.code, e.name, segments.get(e.segmentId) ?? null, e.code)), entry(0, otherLabel, null, null)];
}

async function requireSegmentation(ctx: Context, id: string, field = 'id'): Promise<SegmentationRow> {
  checkId(id, field, 'segmentation');
  const [s] = await getSegmentations(ctx.db, [id]);
  if (!s) throw notFound(field, `no segmentation ${id}`);
  return s;
}

@Resolver(() => Segmentation)
export class SegmentationResolver {
  @Query(() => Segmentation, { nullable: true, description: 'One segmentation.' })
  async segmentation(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<SegmentationRow | null> {
    checkId(id, 'id', 'segmentation');
    const [s] = await getSegmentations(ctx.db, [id]);
    return s ?? null;
  }

  @Query(() => SegmentationConnection, { description: 'Segmentations in id order (the built-in ones first).', complexity: listCost(50) })
  async segmentations(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { defaultValue: 50 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<SegmentationConnection> {
    checkFirst(first, 'first', 200);
    const afterId = after ? decodeCursor(after) : null;
    if (after && !afterId) throw badInput('after', 'INVALID_CURSOR', 'after is not a cursor returned by this API');
    const rows = await listSegmentations(ctx.db, afterId, first + 1);
    const page = rows.slice(0, first);
    return { nodes: page as Segmentation[], pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? encodeCursor(page[page.length - 1].id) : null } };
  }

  @FieldResolver(() => [Segment], { description: 'The segments in order (first = tested first).' })
  async segments(@Root() s: SegmentationRow, @Ctx() ctx: Context): Promise<Segment[]> {
    const ids = (await segmentIdsOf(ctx.db, [s.id])).get(s.id) ?? [];
    const byId = await segmentsById(ctx, ids);
    return ids.map((id) => byId.get(id)!).filter(Boolean);
  }

  @FieldResolver(() => SegmentationDistribution, { description: 'Evaluates the segmentation now: customers per segment (first match wins) and everyone else.' })
  async distribution(@Root() s: SegmentationRow, @Ctx() ctx: Context): Promise<SegmentationDistribution> {
    const e = await evaluateSegmentation({ db: ctx.db, segmentationId: s.id, now: ctx.now, limits: limitsOf(ctx) });
    const segments = await segmentsById(ctx, e.legend.map((l) => l.segmentId));
    return { total: e.counts.reduce((a, b) => a + b, 0), segments: shares(e.legend, e.counts, s.otherLabel, segments, e), evaluatedAt: ctx.now, evaluationMs: e.ms };
  }

  @FieldResolver(() => SegmentationSnapshotConnection, { description: 'Snapshots, newest first.', complexity: listCost(20) })
  async snapshots(
    @Root() s: SegmentationRow,
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<SegmentationSnapshotConnection> {
    checkFirst(first, 'first', 200);
    const afterId = after ? decodeCursor(after) : null;
    if (after && !afterId) throw badInput('after', 'INVALID_CURSOR', 'after is not a cursor returned by this API');
    const rows = await listSnapshots(ctx.db, s.id, afterId, first + 1);
    const page = rows.slice(0, first);
    return {
      nodes: await presentSnapshots(ctx, page, s.otherLabel),
      pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? encodeCursor(page[page.length - 1].id) : null },
    };
  }

  @Query(() => TransitionMatrix, {
    description:
      'Customers moving between the segments of a segmentation from one time to another, from the latest snapshots taken at or before `from` and `to`.',
  })
  async transitionMatrix(
    @Ctx() ctx: Context,
    @Arg('segmentation', () => ID) segmentationId: string,
    @Arg('from', () => Date) from: Date,
    @Arg('to', () => Date) to: Date,
  ): Promise<TransitionMatrix> {
    const s = await requireSegmentation(ctx, segmentationId, 'segmentation');
    if (from > to) throw badInput('from', 'INVALID_RANGE', 'from must not be after to');
    const [a, z] = await Promise.all([snapshotAt(ctx.db, s.id, from), snapshotAt(ctx.db, s.id, to)]);
    if (!a) throw notFound('from', `no snapshot of segmentation ${s.id} taken at or before ${from.toISOString()}`);
    if (!z) throw notFound('to', `no snapshot of segmentation ${s.id} taken at or before ${to.toISOString()}`);
    const m = await transitionMatrix({ db: ctx.db, from: a, to: z, otherLabel: s.otherLabel });
    const segments = await segmentsById(ctx, m.states.flatMap((st) => (st.segmentId ? [st.segmentId] : [])));
    const states: TransitionState[] = m.states.map((st) => ({
      key: st.key,
      kind: st.key === 'OTHER' ? TransitionStateKind.EVERYONE_ELSE : st.key === 'OUTSIDE' ? TransitionStateKind.OUTSIDE_BASE : TransitionStateKind.SEGMENT,
      segment: st.segmentId ? (segments.get(st.segmentId) ?? null) : null,
      label: st.label,
    }));
    const outside = states.length - 1;
    let stayed = 0;
    let moved = 0;
    m.counts.forEach((row, i) =>
      row.forEach((n, j) => {
        if (i === outside || j === outside) return;
        if (i === j) stayed += n;
        else moved += n;
      }),
    );
    const [fromSnap, toSnap] = await presentSnapshots(ctx, [a, z], s.otherLabel);
    return {
      from: fromSnap,
      to: toSnap,
      states,
      rows: m.counts.map((row, i) => {
        const total = row.reduce((x, y) => x + y, 0);
        return { from: states[i], total, cells: row.map((count, j) => ({ to: states[j], count, rowShare: total ? count / total : null })) };
      }),
      stayed,
      moved,
    };
  }

  @Mutation(() => Segmentation, { description: 'Creates a segmentation from saved segments (first listed = tested first).' })
  createSegmentation(@Ctx() ctx: Context, @Arg('input', () => CreateSegmentationInput) input: CreateSegmentationInput): Promise<SegmentationRow> {
    return createSegmentation({ db: ctx.db, ...input, now: ctx.now });
  }

  @Mutation(() => Segmentation, { description: 'Changes a segmentation. Built-in and clustering ones: only `scheduled`.' })
  updateSegmentation(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateSegmentationInput) input: UpdateSegmentationInput,
  ): Promise<SegmentationRow> {
    checkId(id, 'id', 'segmentation');
    return updateSegmentation({ db: ctx.db, id, ...input, now: ctx.now });
  }

  @Mutation(() => Boolean, { description: 'Deletes a segmentation and its snapshots (its segments stay). Built-in ones cannot be deleted.' })
  async deleteSegmentation(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<boolean> {
    checkId(id, 'id', 'segmentation');
    await deleteSegmentation({ db: ctx.db, id });
    return true;
  }

  @Mutation(() => SegmentationSnapshot, { description: 'Asks a worker to snapshot the segmentation now. Returns the queued snapshot; poll `snapshots` for its outcome.' })
  async snapshotSegmentation(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<SegmentationSnapshot> {
    const s = await requireSegmentation(ctx, id);
    const snapshotId = await queueSnapshot({ db: ctx.db, segmentationId: s.id, trigger: 'API', now: ctx.now });
    await scheduleSnapshot(ctx.services.queues, snapshotId);
    return {
      id: snapshotId,
      segmentationId: s.id,
      trigger: SnapshotTrigger.API,
      status: SnapshotStatus.QUEUED,
      requestedAt: ctx.now,
      takenAt: null,
      customers: null,
      durationMs: null,
      error: null,
      distribution: null,
    };
  }
}

async function presentSnapshots(ctx: Context, rows: SnapshotRow[], otherLabel: string): Promise<SegmentationSnapshot[]> {
  const segments = await segmentsById(
    ctx,
    rows.flatMap((r) => (r.legend ?? []).map((e) => e.segmentId)),
  );
  return rows.map((r) => ({
    id: r.id,
    segmentationId: r.segmentationId,
    trigger: r.trigger as SnapshotTrigger,
    status: r.status as SnapshotStatus,
    requestedAt: r.requestedAt,
    takenAt: r.takenAt,
    customers: r.customers,
    durationMs: r.durationMs,
    error: r.error,
    distribution: r.legend && r.counts ? shares(r.legend, r.counts, otherLabel, segments) : null,
  }));
}
