import type { Db } from '../db/database.js';
import { bindNamed, loadSqlQueries } from '../db/sql.js';
import { withTransaction } from '../db/transaction.js';
import { badInput, conflict, notFound } from '../errors.js';
import { loadAttributeCatalogue } from '../ingestion/attribute-catalogue.js';
import { cleanText } from '../ingestion/field-checks.js';
import { compileSegment, keysetParams, type CompiledSegment, type SegmentReference } from './compile-segment.js';
import { buildFieldRegistry } from './fields/registry.js';
import { DEFINITION_VERSION, type SegmentNode } from './rules.js';

const Q = loadSqlQueries(import.meta.url, 'sql/segments.sql', [
  'columns',
  'references',
  'by_ids',
  'page',
  'insert',
  'update',
  'referenced_by',
  'used_by_segmentations',
  'delete',
  'clear_members',
  'add_members',
  'count_base',
  'record_evaluation',
  'used_by_campaigns',
] as const);
const withColumns = (sql: string) => sql.replace('{{columns}}', Q.columns);

export type SegmentKind = 'DYNAMIC' | 'STATIC' | 'COMPUTED';

export interface SegmentRow {
  id: string;
  name: string;
  description: string;
  kind: SegmentKind;
  definition: { version: number; root: SegmentNode } | null;
  usesSensitiveFields: string[];
  /** Part of a built-in segmentation: read-only. */
  builtIn: boolean;
  size: number | null;
  lastEvaluatedAt: Date | null;
  evaluationMs: number | null;
  /** COMPUTED segments: the cluster centre per feature. */
  centroid: CentroidCoordinate[] | null;
  createdAt: Date;
  updatedAt: Date;
}

/** One feature of a cluster centre: its value in the feature's own units, and in standard deviations from the sample mean. */
export interface CentroidCoordinate {
  field: string;
  value: number;
  zScore: number;
}

export interface SegmentLimits {
  maxDepth: number;
}

/**
 * Compiles a definition against the current attribute catalogue and saved segments. `selfId` is the
 * segment being saved, so that a reference back to it is reported as a cycle.
 */
export async function compileDefinition(options: { db: Db; root: unknown; now: Date; limits: SegmentLimits; selfId?: string | null; path?: string }): Promise<CompiledSegment> {
  const { db } = options;
  const [catalogue, refs] = await Promise.all([loadAttributeCatalogue(db), loadSegmentReferences(db)]);
  return compileSegment(options.root, {
    registry: buildFieldRegistry(catalogue),
    now: options.now,
    resolveSegment: (id) => refs.get(id) ?? null,
    maxDepth: options.limits.maxDepth,
    selfId: options.selfId ?? null,
  }, options.path);
}

/** What every saved segment compiles to when another definition refers to it. */
export async function loadSegmentReferences(db: Db): Promise<Map<string, NonNullable<SegmentReference>>> {
  const { rows } = await db.pool.query<{ id: string; kind: SegmentKind; definition: SegmentRow['definition'] }>(Q.references);
  return new Map(rows.map((s) => [s.id, s.kind === 'DYNAMIC' ? { kind: 'RULES', root: s.definition!.root } : { kind: 'LIST' }]));
}

function checkName(name: string | null | undefined, field: string): string {
  const n = typeof name === 'string' ? cleanText(name, 200) : undefined;
  if (!n) throw badInput(field, 'INVALID_NAME', 'a segment name is 1 to 200 characters');
  return n;
}

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === '23505';
}

/**
 * Saves a segment: DYNAMIC with a rule tree (checked by compiling it), or STATIC with a list of
 * customers. Returns the saved row; unknown customers of a list are counted, not errors.
 */
export async function createSegment(options: {
  db: Db;
  name: string;
  description?: string | null;
  definition?: unknown;
  members?: { ids?: string[] | null; externalIds?: string[] | null } | null;
  now: Date;
  limits: SegmentLimits;
}): Promise<{ segment: SegmentRow; storedMembers: number | null }> {
  const { db, now } = options;
  const name = checkName(options.name, 'input.name');
  const description = (options.description ? cleanText(options.description, 2000) : '') ?? '';
  if ((options.definition == null) === (options.members == null)) throw badInput('input', 'ONE_OF', 'give either a definition (dynamic segment) or members (static segment)');
  const compiled = options.definition != null ? await compileDefinition({ db, root: options.definition, now, limits: options.limits, path: 'input.definition' }) : null;
  try {
    return await withTransaction(db, async (client) => {
      const { rows } = await client.query<SegmentRow>(
        bindNamed(withColumns(Q.insert), {
          name,
          description,
          kind: compiled ? 'DYNAMIC' : 'STATIC',
          definition: compiled ? { version: DEFINITION_VERSION, root: options.definition } : null,
          sensitive: compiled?.sensitiveFields ?? [],
          now,
        }),
      );
      let storedMembers: number | null = null;
      if (options.members) storedMembers = await setMembers(client, rows[0].id, options.members);
      return { segment: rows[0], storedMembers };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('input.name', 'NAME_TAKEN', `a segment is already named "${name}"`);
    throw err;
  }
}

async function setMembers(client: { query: Db['pool']['query'] }, segmentId: string, members: { ids?: string[] | null; externalIds?: string[] | null }): Promise<number> {
  const ids = members.ids ?? [];
  const externalIds = members.externalIds ?? [];
  if (ids.length + externalIds.length > 1_000_000) throw badInput('input.members', 'TOO_MANY', 'at most 1,000,000 members per call');
  const bad = ids.findIndex((id) => !/^\d{1,18}$/.test(id));
  if (bad >= 0) throw badInput(`input.members.ids[${bad}]`, 'INVALID_ID', 'customer ids are digits');
  await client.query(bindNamed(Q.clear_members, { segment_id: segmentId }));
  const { rowCount } = await client.query(bindNamed(Q.add_members, { segment_id: segmentId, ids, external_ids: externalIds }));
  return rowCount ?? 0;
}

/** Renames, redescribes or redefines a segment (a static one may get a new member list). */
export async function updateSegment(options: {
  db: Db;
  id: string;
  name?: string | null;
  description?: string | null;
  definition?: unknown;
  members?: { ids?: string[] | null; externalIds?: string[] | null } | null;
  now: Date;
  limits: SegmentLimits;
}): Promise<{ segment: SegmentRow; storedMembers: number | null }> {
  const { db, id, now } = options;
  const [current] = await getSegments(db, [id]);
  if (!current) throw notFound('id', `no segment ${id}`);
  if (current.builtIn) throw conflict('id', 'BUILT_IN', `segment ${id} belongs to a built-in segmentation and cannot change`);
  if (options.definition != null && current.kind !== 'DYNAMIC') throw conflict('input.definition', 'NOT_DYNAMIC', `segment ${id} is ${current.kind}: it has members, not rules`);
  if (options.members != null && current.kind !== 'STATIC') throw conflict('input.members', 'NOT_STATIC', `segment ${id} is ${current.kind}: its members come from its rules`);
  const name = options.name != null ? checkName(options.name, 'input.name') : current.name;
  const description = options.description != null ? (cleanText(options.description, 2000) ?? '') : current.description;
  const compiled = options.definition != null ? await compileDefinition({ db, root: options.definition, now, limits: options.limits, selfId: id, path: 'input.definition' }) : null;
  try {
    return await withTransaction(db, async (client) => {
      const { rows } = await client.query<SegmentRow>(
        bindNamed(withColumns(Q.update), {
          id,
          name,
          description,
          definition: compiled ? { version: DEFINITION_VERSION, root: options.definition } : current.definition,
          sensitive: compiled ? compiled.sensitiveFields : current.usesSensitiveFields,
          now,
        }),
      );
      const storedMembers = options.members ? await setMembers(client, id, options.members) : null;
      return { segment: rows[0], storedMembers };
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw conflict('input.name', 'NAME_TAKEN', `a segment is already named "${name}"`);
    throw err;
  }
}

/** Deletes a segment that no other segment's rules and no segmentation use (those are named in the CONFLICT). */
export async function deleteSegment(options: { db: Db; id: string }): Promise<void> {
  const { db, id } = options;
  const [users, inSegmentations, inCampaigns] = await Promise.all([
    db.pool.query<{ id: string; name: string }>(bindNamed(Q.referenced_by, { id })),
    db.pool.query<{ id: string; name: string }>(bindNamed(Q.used_by_segmentations, { id })),
    db.pool.query<{ id: string; name: string }>(bindNamed(Q.used_by_campaigns, { id })),
  ]);
  const names = (rows: { id: string; name: string }[], what: string) => rows.map((r) => `${what} "${r.name}" (${r.id})`);
  const using = [...names(users.rows, 'segment'), ...names(inSegmentations.rows, 'segmentation'), ...inCampaigns.rows.map((r) => `${r.name} (${r.id})`)];
  if (using.length) throw conflict('id', 'SEGMENT_IN_USE', `segment ${id} is used by ${using.join(', ')}`);
  const { rowCount } = await db.pool.query(bindNamed(Q.delete, { id }));
  if (!rowCount) throw notFound('id', `no segment ${id}`);
}

export async function getSegments(db: Db, ids: readonly string[]): Promise<SegmentRow[]> {
  const { rows } = await db.pool.query<SegmentRow>(bindNamed(withColumns(Q.by_ids), { ids }));
  return rows;
}

export async function listSegments(db: Db, after: string | null, limit: number, builtIn: boolean | null = null): Promise<SegmentRow[]> {
  const { rows } = await db.pool.query<SegmentRow>(bindNamed(withColumns(Q.page), { after: after ?? '0', limit, built_in: builtIn }));
  return rows;
}

/** The compiled query of a saved segment (rules or member list). */
export async function compileSaved(db: Db, segment: SegmentRow, now: Date, limits: SegmentLimits): Promise<CompiledSegment> {
  const root = segment.kind === 'DYNAMIC' ? segment.definition!.root : { segment: segment.id };
  return compileDefinition({ db, root, now, limits });
}

/** Counts a compiled segment, timing it. */
export async function countCompiled(db: Db, compiled: CompiledSegment): Promise<{ count: number; ms: number }> {
  const t0 = performance.now();
  const { rows } = await db.pool.query<{ n: string }>(`SELECT count(*) AS n ${compiled.from} WHERE ${compiled.where}`, compiled.params);
  return { count: Number(rows[0].n), ms: Math.round(performance.now() - t0) };
}

/** Evaluates a saved segment now and records its size and timing. */
export async function evaluateSegment(options: { db: Db; segment: SegmentRow; now: Date; limits: SegmentLimits }): Promise<{ count: number; ms: number }> {
  const { db, segment, now } = options;
  const result = await countCompiled(db, await compileSaved(db, segment, now, options.limits));
  await db.pool.query(bindNamed(Q.record_evaluation, { id: segment.id, size: result.count, now, ms: result.ms }));
  return result;
}

/** One keyset page of member ids (customer id order) of a compiled segment. */
export async function memberIds(db: Db, compiled: CompiledSegment, after: string | null, limit: number): Promise<string[]> {
  const n = compiled.params.length;
  const { rows } = await db.pool.query<{ id: string }>(
    `SELECT c.id ${compiled.from} WHERE ${compiled.where} AND c.id > $${n + 1}::bigint ORDER BY c.id LIMIT $${n + 2}`,
    [...keysetParams(compiled, after), after ?? '0', limit],
  );
  return rows.map((r) => r.id);
}

/** Customers in the base (not erased): the denominator of shares. */
export async function countBase(db: Db): Promise<number> {
  const { rows } = await db.pool.query<{ n: string }>(Q.count_base);
  return Number(rows[0].n);
}
