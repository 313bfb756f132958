import type pg from 'pg';
import type { Db } from '../db/database.js';
import { bindNamed, loadSqlQueries } from '../db/sql.js';
import { withTransaction } from '../db/transaction.js';
import { badInput, conflict, notFound } from '../errors.js';
import { loadAttributeCatalogue } from '../ingestion/attribute-catalogue.js';
import { cleanText, normaliseEmail } from '../ingestion/field-checks.js';
import { compileSaved, countCompiled, getSegments, type SegmentLimits } from '../segmentation/segments.js';
import { variantBounds } from './assignment.js';
import { isEditable, type CampaignStatus } from './campaign-state.js';
import type { Schedule } from './schedule.js';
import type { Channel, MessageCategory } from './contact-policy.js';
import { checkTemplate, templateVariables } from './templates.js';

/*
 * Campaigns: what marketers edit (targeting, content on variants, limits), checked whole on every
 * save, and what must hold before one fires. The commands that move them through the state machine
 * are in campaign-commands.ts.
 */

const Q = loadSqlQueries(import.meta.url, 'sql/campaigns.sql', [
  'columns',
  'by_ids',
  'lock',
  'page',
  'insert',
  'update',
  'delete',
  'segments',
  'clear_segments',
  'add_segments',
  'variants',
  'clear_variants',
  'add_variants',
  'has_started_run',
] as const);
const withColumns = (sql: string) => sql.replace('{{columns}}', Q.columns);

export type CampaignChannel = Channel | 'PREFERRED';

export interface CampaignRow {
  id: string;
  name: string;
  description: string;
  status: CampaignStatus;
  channel: CampaignChannel;
  category: MessageCategory;
  tags: string[];
  maxRecipients: number | null;
  priority: number;
  holdoutBasisPoints: number;
  expiryMinutes: number;
  emailFromName: string | null;
  emailFromAddress: string | null;
  emailReplyTo: string | null;
  scheduleKind: Schedule['kind'] | null;
  scheduledAt: Date | null;
  cron: string | null;
  cronTimeZone: string | null;
  localDate: string | null;
  localMinutes: number | null;
  latenessLimitMinutes: number | null;
  nextRunAt: Date | null;
  acknowledgedWarnings: boolean;
  owner: string;
  createdAt: Date;
  updatedAt: Date;
  launchedAt: Date | null;
  finishedAt: Date | null;
}

export interface VariantContent {
  emailSubject: string | null;
  emailHtml: string | null;
  emailText: string | null;
  smsBody: string | null;
}

export interface VariantRow extends VariantContent {
  campaignId: string;
  key: string;
  position: number;
  weight: number;
}

export interface CampaignSegmentRow {
  campaignId: string;
  segmentId: string;
  isExcluded: boolean;
}

/** A campaign with its targeting and variants: everything the audience and the sender need. */
export interface CampaignDetail {
  campaign: CampaignRow;
  targetSegmentIds: string[];
  excludedSegmentIds: string[];
  variants: VariantRow[];
}

export interface VariantFields extends Partial<VariantContent> {
  key: string;
  weight?: number | null;
}

/** What a marketer gives when creating a campaign (updates give any subset). */
export interface CampaignFields {
  name: string;
  description?: string | null;
  channel: CampaignChannel;
  category?: MessageCategory | null;
  tags?: string[] | null;
  targetSegmentIds: string[];
  excludedSegmentIds?: string[] | null;
  maxRecipients?: number | null;
  priority?: number | null;
  holdoutPercent?: number | null;
  expiryHours?: number | null;
  emailFromName?: string | null;
  emailFromAddress?: string | null;
  emailReplyTo?: string | null;
  latenessLimitMinutes?: number | null;
  variants: VariantFields[];
}

const MAX_VARIANTS = 10;
const MAX_SEGMENTS = 50;
/** Template sizes: a 256 KB HTML email is already far past what inboxes render (Gmail clips at 102 KB). */
const MAX_HTML = 256 * 1024;
const MAX_TEXT = 64 * 1024;
const MAX_SMS = 1600;
const MAX_SUBJECT = 998;

export async function getCampaigns(db: Db | pg.ClientBase, ids: readonly string[]): Promise<CampaignRow[]> {
  const client = 'pool' in db ? db.pool : db;
  const { rows } = await client.query<CampaignRow>(bindNamed(withColumns(Q.by_ids), { ids }));
  return rows;
}

export async function listCampaigns(db: Db, options: { before: string | null; limit: number; status: CampaignStatus | null }): Promise<CampaignRow[]> {
  const { rows } = await db.pool.query<CampaignRow>(
    bindNamed(withColumns(Q.page), { before: options.before ?? '9223372036854775807', limit: options.limit, status: options.status }),
  );
  return rows;
}

export async function getCampaignSegments(db: Db | pg.ClientBase, campaignIds: readonly string[]): Promise<CampaignSegmentRow[]> {
  const client = 'pool' in db ? db.pool : db;
  const { rows } = await client.query<CampaignSegmentRow>(bindNamed(Q.segments, { ids: campaignIds }));
  return rows;
}

export async function getVariants(db: Db | pg.ClientBase, campaignIds: readonly string[]): Promise<VariantRow[]> {
  const client = 'pool' in db ? db.pool : db;
  const { rows } = await client.query<VariantRow>(bindNamed(Q.variants, { ids: campaignIds }));
  return rows;
}

/** A campaign with its targeting and variants; NOT_FOUND on `field` when it does not exist. */
export async function loadCampaignDetail(db: Db | pg.ClientBase, id: string, field = 'id'): Promise<CampaignDetail> {
  if (!/^\d{1,18}$/.test(id)) throw badInput(field, 'INVALID_ID', 'not a campaign id');
  const [campaign] = await getCampaigns(db, [id]);
  if (!campaign) throw notFound(field, 'no such campaign');
  const [segments, variants] = await Promise.all([getCampaignSegments(db, [id]), getVariants(db, [id])]);
  return {
    campaign,
    targetSegmentIds: segments.filter((s) => !s.isExcluded).map((s) => s.segmentId),
    excludedSegmentIds: segments.filter((s) => s.isExcluded).map((s) => s.segmentId),
    variants,
  };
}

/** Channels whose content every variant has (subject and a body for email, a body for SMS). */
export function channelsWithContent(variants: readonly VariantContent[]): Channel[] {
  const email = variants.length > 0 && variants.every((v) => !!v.emailSubject && (!!v.emailHtml || !!v.emailText));
  const sms = variants.length > 0 && variants.every((v) => !!v.smsBody);
  return [...(email ? (['EMAIL'] as const) : []), ...(sms ? (['SMS'] as const) : [])];
}

function text(value: string | null | undefined, max: number, path: string, reason = 'INVALID_TEXT'): string | null {
  if (value == null || value === '') return null;
  const t = cleanText(value, max);
  if (t === undefined) throw badInput(path, reason, `at most ${max} characters, no control characters`);
  return t || null;
}

function intIn(v: number | null | undefined, path: string, lo: number, hi: number): number | null {
  if (v == null) return null;
  if (!Number.isInteger(v) || v < lo || v > hi) throw badInput(path, 'OUT_OF_RANGE', `an integer from ${lo} to ${hi}`);
  return v;
}

function ids(list: readonly string[] | null | undefined, path: string): string[] {
  const out = [...new Set(list ?? [])];
  out.forEach((id, i) => {
    if (!/^\d{1,18}$/.test(id)) throw badInput(`${path}[${i}]`, 'INVALID_ID', 'not a segment id');
  });
  if (out.length > MAX_SEGMENTS) throw badInput(path, 'TOO_MANY', `at most ${MAX_SEGMENTS} segments`);
  return out;
}

/**
 * Checks a whole campaign (after merging an update onto the stored one): names, limits, addresses,
 * segments (which must exist), variants and their templates (syntax and variables, with positions).
 */
async function checkCampaign(db: Db, f: CampaignFields, path: string) {
  const name = text(f.name, 200, `${path}.name`, 'INVALID_NAME');
  if (!name) throw badInput(`${path}.name`, 'INVALID_NAME', 'a campaign name is 1 to 200 characters');
  const tags = [...new Set(f.tags ?? [])].map((t, i) => {
    const tag = cleanText(t, 100);
    if (!tag) throw badInput(`${path}.tags[${i}]`, 'INVALID_TAG', 'a tag is 1 to 100 characters');
    return tag;
  });
  const holdout = f.holdoutPercent ?? 0;
  if (!(holdout >= 0 && holdout < 100) || Math.abs(holdout * 100 - Math.round(holdout * 100)) > 1e-6)
    throw badInput(`${path}.holdoutPercent`, 'OUT_OF_RANGE', 'holdoutPercent is from 0 to 99.99, in steps of 0.01');
  const email = (v: string | null | undefined, p: string) => {
    if (v == null || v === '') return null;
    const e = normaliseEmail(v);
    if (!e) throw badInput(p, 'INVALID_EMAIL', 'not a valid email address');
    return e;
  };
  const target = ids(f.targetSegmentIds, `${path}.targetSegmentIds`);
  const excluded = ids(f.excludedSegmentIds, `${path}.excludedSegmentIds`);
  const both = target.find((id) => excluded.includes(id));
  if (both) throw badInput(`${path}.excludedSegmentIds`, 'TARGETED_AND_EXCLUDED', `segment ${both} is both targeted and excluded`);
  const known = new Set((await getSegments(db, [...target, ...excluded])).map((s) => s.id));
  for (const [list, p] of [[target, 'targetSegmentIds'], [excluded, 'excludedSegmentIds']] as const)
    list.forEach((id) => {
      if (!known.has(id)) throw notFound(`${path}.${p}[${f[p]!.indexOf(id)}]`, `no segment ${id}`);
    });

  if (!f.variants?.length) throw badInput(`${path}.variants`, 'REQUIRED', 'a campaign has at least one variant (its content)');
  if (f.variants.length > MAX_VARIANTS) throw badInput(`${path}.variants`, 'TOO_MANY', `at most ${MAX_VARIANTS} variants`);
  const variables = templateVariables([...(await loadAttributeCatalogue(db)).keys()]);
  const seen = new Set<string>();
  const variants = f.variants.map((v, i) => {
    const p = `${path}.variants[${i}]`;
    if (!/^[A-Z][A-Z0-9_]{0,15}$/.test(v.key ?? '')) throw badInput(`${p}.key`, 'INVALID_KEY', 'a variant key is A–Z, digits or _, 1 to 16 characters, starting with a letter');
    if (seen.has(v.key)) throw badInput(`${p}.key`, 'DUPLICATE_KEY', `variant ${v.key} is given twice`);
    seen.add(v.key);
    const content = {
      emailSubject: text(v.emailSubject, MAX_SUBJECT, `${p}.emailSubject`),
      emailHtml: text(v.emailHtml, MAX_HTML, `${p}.emailHtml`),
      emailText: text(v.emailText, MAX_TEXT, `${p}.emailText`),
      smsBody: text(v.smsBody, MAX_SMS, `${p}.smsBody`),
    };
    for (const [k, source] of Object.entries(content)) if (source) checkTemplate(source, { path: `${p}.${k}`, variables });
    return { key: v.key, position: i, weight: intIn(v.weight ?? 1, `${p}.weight`, 1, 10_000)!, ...content };
  });

  const bounds = variantBounds(variants.map((v) => v.weight));
  bounds.forEach((b, i) => {
    if (b === (i ? bounds[i - 1] : 0)) throw badInput(`${path}.variants[${i}].weight`, 'WEIGHT_TOO_SMALL', `variant ${variants[i].key} would get no one: its weight is below 1/10,000 of the total`);
  });
  return {
    row: {
      name,
      description: text(f.description, 2000, `${path}.description`) ?? '',
      channel: f.channel,
      category: f.category ?? 'MARKETING',
      tags,
      max_recipients: intIn(f.maxRecipients, `${path}.maxRecipients`, 1, 100_000_000),
      priority: intIn(f.priority ?? 0, `${path}.priority`, -1000, 1000)!,
      holdout_basis_points: Math.round(holdout * 100),
      expiry_minutes: (intIn(f.expiryHours ?? 24, `${path}.expiryHours`, 1, 720)!) * 60,
      email_from_name: text(f.emailFromName, 200, `${path}.emailFromName`),
      email_from_address: email(f.emailFromAddress, `${path}.emailFromAddress`),
      email_reply_to: email(f.emailReplyTo, `${path}.emailReplyTo`),
      lateness_limit_minutes: intIn(f.latenessLimitMinutes, `${path}.latenessLimitMinutes`, 0, 10_080),
    },
    target,
    excluded,
    variants,
  };
}

async function writeParts(client: pg.ClientBase, id: string, checked: Awaited<ReturnType<typeof checkCampaign>>): Promise<void> {
  await client.query(bindNamed(Q.clear_segments, { id }));
  await client.query(
    bindNamed(Q.add_segments, { id, segment_ids: [...checked.target, ...checked.excluded], excluded: [...checked.target.map(() => false), ...checked.excluded.map(() => true)] }),
  );
  await client.query(bindNamed(Q.clear_variants, { id }));
  const v = checked.variants;
  await client.query(
    bindNamed(Q.add_variants, {
      id,
      keys: v.map((x) => x.key),
      positions: v.map((x) => x.position),
      weights: v.map((x) => x.weight),
      subjects: v.map((x) => x.emailSubject),
      htmls: v.map((x) => x.emailHtml),
      texts: v.map((x) => x.emailText),
      smss: v.map((x) => x.smsBody),
    }),
  );
}

/** A segment deleted between the check and the write. */
function segmentGone(err: unknown): never {
  if ((err as { code?: string }).code === '23503') throw conflict('input', 'SEGMENT_DELETED', 'a segment of this campaign was deleted meanwhile; try again');
  throw err;
}

/** Saves a new DRAFT campaign. */
export async function createCampaign(options: { db: Db; input: CampaignFields; owner: string; now: Date }): Promise<CampaignDetail> {
  const { db, now } = options;
  const checked = await checkCampaign(db, options.input, 'input');
  const id = await withTransaction(db, async (client) => {
    const { rows } = await client.query<CampaignRow>(bindNamed(withColumns(Q.insert), { ...checked.row, owner: options.owner, now }));
    await writeParts(client, rows[0].id, checked);
    return rows[0].id;
  }).catch(segmentGone);
  return loadCampaignDetail(db, id);
}

const fieldsOf = (d: CampaignDetail): CampaignFields => ({
  ...d.campaign,
  holdoutPercent: d.campaign.holdoutBasisPoints / 100,
  expiryHours: d.campaign.expiryMinutes / 60,
  targetSegmentIds: d.targetSegmentIds,
  excludedSegmentIds: d.excludedSegmentIds,
  variants: d.variants,
});

/**
 * Changes a campaign. Content and targeting change only until its first run starts; after that only
 * the name and description may (anything else is a CONFLICT naming the state).
 */
export async function updateCampaign(options: {
  db: Db;
  id: string;
  input: Partial<CampaignFields>;
  now: Date;
  /** For a campaign already scheduled: the same checks as at launch (content, narrow segments). */
  readiness?: Omit<LaunchOptions, 'db' | 'id' | 'now'>;
}): Promise<CampaignDetail> {
  const { db, id, now } = options;
  const current = await loadCampaignDetail(db, id);
  const given = Object.fromEntries(Object.entries(options.input).filter(([, v]) => v !== undefined)) as Partial<CampaignFields>;
  const merged = { ...fieldsOf(current), ...given };
  const checked = await checkCampaign(db, merged, 'input');
  const onlyLabels = Object.keys(given).every((k) => k === 'name' || k === 'description');
  // A scheduled campaign retargeted must still pass what launching it checked.
  if (!onlyLabels && current.campaign.status !== 'DRAFT' && options.readiness)
    await checkReady(
      { ...options.readiness, db, id, now },
      { campaign: { ...current.campaign, channel: checked.row.channel }, variants: checked.variants as VariantRow[], targetSegmentIds: checked.target, excludedSegmentIds: checked.excluded },
    );
  await withTransaction(db, async (client) => {
    const { rows } = await client.query<CampaignRow>(bindNamed(withColumns(Q.lock), { id }));
    const status = rows[0]?.status;
    if (!status) throw notFound('id', 'no such campaign');
    if (!onlyLabels) {
      const started = (await client.query<{ started: boolean }>(bindNamed(Q.has_started_run, { id }))).rows[0].started;
      if (!(isEditable(status) || ((status === 'SCHEDULED' || status === 'PAUSED') && !started)))
        throw conflict('input', `CAMPAIGN_${status}`, `content and targeting are frozen: the campaign is ${status}${started ? ' and has run' : ''}`);
    }
    await client.query(bindNamed(withColumns(Q.update), { ...checked.row, id, now }));
    if (!onlyLabels) await writeParts(client, id, checked);
  }).catch(segmentGone);
  return loadCampaignDetail(db, id);
}

/** Deletes a DRAFT campaign (others keep their history: cancel them instead). */
export async function deleteCampaign(options: { db: Db; id: string }): Promise<void> {
  await withTransaction(options.db, async (client) => {
    const { rows } = await client.query<CampaignRow>(bindNamed(withColumns(Q.lock), { id: options.id }));
    if (!rows[0]) throw notFound('id', 'no such campaign');
    if (rows[0].status !== 'DRAFT') throw conflict('id', `CAMPAIGN_${rows[0].status}`, `only drafts can be deleted; this campaign is ${rows[0].status} (cancel it instead)`);
    await client.query(bindNamed(Q.delete, { id: options.id }));
  });
}

/** A new DRAFT with the same targeting and content, owned by the caller. */
export async function duplicateCampaign(options: { db: Db; id: string; owner: string; now: Date }): Promise<CampaignDetail> {
  const source = await loadCampaignDetail(options.db, options.id);
  const fields = fieldsOf(source);
  return createCampaign({ db: options.db, input: { ...fields, name: `${fields.name.slice(0, 193)} (copy)` }, owner: options.owner, now: options.now });
}

export interface LaunchOptions {
  db: Db;
  id: string;
  acknowledgeWarnings: boolean;
  now: Date;
  limits: SegmentLimits;
  narrowThreshold: number;
}

/**
 * What must hold before a campaign may fire: targets, content for its channel(s), and no target
 * segment below the narrow threshold unless the caller acknowledged it.
 */
export async function checkReady(options: LaunchOptions, detail: CampaignDetail): Promise<void> {
  const { campaign, variants, targetSegmentIds } = detail;
  if (!targetSegmentIds.length) throw badInput('id', 'NO_TARGET', 'the campaign targets no segment');
  const channels = channelsWithContent(variants);
  const wanted = campaign.channel === 'PREFERRED' ? channels : channels.filter((c) => c === campaign.channel);
  if (!wanted.length)
    throw badInput('id', 'NO_CONTENT', campaign.channel === 'PREFERRED' ? 'no channel has content in every variant' : `every variant needs ${campaign.channel === 'EMAIL' ? 'a subject and an HTML or text body' : 'an SMS body'}`);
  if (options.acknowledgeWarnings) return;
  const segments = await getSegments(options.db, targetSegmentIds);
  const narrow: string[] = [];
  for (const s of segments) {
    const { count } = await countCompiled(options.db, await compileSaved(options.db, s, options.now, options.limits));
    if (count < options.narrowThreshold) narrow.push(`${s.name} (${count})`);
  }
  if (narrow.length)
    throw badInput('acknowledgeWarnings', 'NARROW_SEGMENT', `target segments below the narrow threshold of ${options.narrowThreshold}: ${narrow.join(', ')}; launch again with acknowledgeWarnings: true`);
}
