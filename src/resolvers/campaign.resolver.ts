import { Arg, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { MASKED_CONTACT_ROLES } from '../auth/access-policy.js';
import { listRuns } from '../campaigns/campaign-runs.js';
import {
  createCampaign,
  deleteCampaign,
  duplicateCampaign,
  getCampaigns,
  getCampaignSegments,
  getVariants,
  listCampaigns,
  loadCampaignDetail,
  updateCampaign,
  type CampaignDetail,
  type CampaignFields,
  type CampaignRow,
} from '../campaigns/campaigns.js';
import { cancelCampaign, launchCampaign, pauseCampaign, resumeCampaign, scheduleCampaign, type TransitionResult } from '../campaigns/campaign-commands.js';
import { loadContactRules } from '../campaigns/contact-policies.js';
import { forecastAudience } from '../campaigns/forecast.js';
import { countOutcomes, listMessages, type MessageOutcome as Outcome } from '../campaigns/ledger.js';
import { previewMessage } from '../campaigns/preview.js';
import { formatClockTime } from '../campaigns/local-time.js';
import { scheduleFromColumns } from '../campaigns/schedule.js';
import { maskEmail, maskPhone } from '../customers/mask.js';
import { badInput, notFound } from '../errors.js';
import { listCost } from '../http/query-cost.js';
import {
  Campaign,
  CampaignAudience,
  CampaignConnection,
  CampaignRunConnection,
  CampaignStatus,
  CreateCampaignInput,
  MessageConnection,
  MessageOutcome,
  MessagePreview,
  OutcomeCount,
  ScheduleInput,
  ScheduleKind,
  UpdateCampaignInput,
} from '../schema/campaign.types.js';
import { CustomerRefInput } from '../schema/consent.types.js';
import { Channel } from '../schema/enums.js';
import { decodeCursor, encodeCursor } from '../schema/page.type.js';
import { runSettings } from '../workers/campaigns.worker.js';
import { scheduleDrawFill, scheduleRunPlanning } from '../workers/queues.js';
import type { Context } from './context.js';
import { checkFirst } from './customer.resolver.js';


/** A campaign row with its targeting and variants, as the GraphQL type. */
function toCampaign(d: CampaignDetail): Campaign {
  const c = d.campaign;
  const s = scheduleFromColumns(c);
  return {
    ...(c as unknown as Campaign),
    holdoutPercent: c.holdoutBasisPoints / 100,
    expiryHours: c.expiryMinutes / 60,
    targetSegmentIds: d.targetSegmentIds,
    excludedSegmentIds: d.excludedSegmentIds,
    variants: d.variants,
    schedule: s && {
      kind: s.kind as ScheduleKind,
      at: s.kind === 'AT' ? s.at : null,
      cron: s.kind === 'RECURRING' ? s.cron : null,
      timeZone: s.kind === 'RECURRING' ? s.timeZone : null,
      localDate: s.kind === 'LOCAL_TIME' ? s.date : null,
      localTime: s.kind === 'LOCAL_TIME' ? formatClockTime(s.minutes) : null,
    },
  };
}

/** Campaign rows with their segments and variants, loaded in two queries for the whole page. */
async function toCampaigns(ctx: Context, rows: CampaignRow[]): Promise<Campaign[]> {
  const ids = rows.map((r) => r.id);
  const [segments, variants] = await Promise.all([getCampaignSegments(ctx.db, ids), getVariants(ctx.db, ids)]);
  return rows.map((campaign) =>
    toCampaign({
      campaign,
      targetSegmentIds: segments.filter((s) => s.campaignId === campaign.id && !s.isExcluded).map((s) => s.segmentId),
      excludedSegmentIds: segments.filter((s) => s.campaignId === campaign.id && s.isExcluded).map((s) => s.segmentId),
      variants: variants.filter((v) => v.campaignId === campaign.id),
    }),
  );
}

const ownerOf = (ctx: Context) => ctx.principal?.name ?? 'unknown';
const launchLimits = (ctx: Context) => ({ limits: { maxDepth: ctx.config.segments.maxDepth }, narrowThreshold: ctx.config.segments.narrowThreshold });

/** GraphQL input (nulls for absent) -> domain fields (undefined for absent). */
function fields<T extends object>(input: T): Partial<CampaignFields> {
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== null && v !== undefined)) as Partial<CampaignFields>;
}

@Resolver(() => Campaign)
export class CampaignResolver {
  @Query(() => CampaignConnection, { description: 'Campaigns, newest first, optionally in one state.', complexity: listCost(20) })
  async campaigns(
    @Ctx() ctx: Context,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
    @Arg('status', () => CampaignStatus, { nullable: true }) status?: CampaignStatus | null,
  ): Promise<CampaignConnection> {
    checkFirst(first, 'first', 200);
    const before = after ? decodeCursor(after) : null;
    if (after && !before) throw badInput('after', 'INVALID_CURSOR', 'after must be a cursor from pageInfo.endCursor');
    const rows = await listCampaigns(ctx.db, { before, limit: first + 1, status: status ?? null });
    const page = rows.slice(0, first);
    return { nodes: await toCampaigns(ctx, page), pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? encodeCursor(page[page.length - 1].id) : null } };
  }

  @Query(() => Campaign, { nullable: true, description: 'One campaign.' })
  async campaign(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Campaign | null> {
    if (!/^\d{1,18}$/.test(id)) throw badInput('id', 'INVALID_ID', 'id must be a campaign id');
    const [row] = await listCampaignsById(ctx, id);
    return row ?? null;
  }

  @Mutation(() => Campaign, { description: 'Creates a DRAFT campaign. Templates are checked now (syntax, unknown variables) with their position.' })
  async createCampaign(@Ctx() ctx: Context, @Arg('input', () => CreateCampaignInput) input: CreateCampaignInput): Promise<Campaign> {
    return this.withDraws(ctx, toCampaign(await createCampaign({ db: ctx.db, input: fields(input) as CampaignFields, owner: ownerOf(ctx), now: ctx.now })));
  }

  @Mutation(() => Campaign, {
    description:
      'Changes a campaign. Content and targeting are frozen once a run has started (CONFLICT); name and description always change. ' +
      'A scheduled campaign retargeted passes the launch checks again (narrow segments need acknowledgeWarnings).',
  })
  async updateCampaign(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('input', () => UpdateCampaignInput) input: UpdateCampaignInput,
    @Arg('acknowledgeWarnings', () => Boolean, { defaultValue: false }) acknowledgeWarnings: boolean,
  ): Promise<Campaign> {
    return this.withDraws(ctx, toCampaign(await updateCampaign({ db: ctx.db, id, input: fields(input), now: ctx.now, readiness: { acknowledgeWarnings, ...launchLimits(ctx) } })));
  }

  @Mutation(() => Boolean, { description: 'Deletes a DRAFT campaign (others: CONFLICT; cancel them instead).' })
  async deleteCampaign(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<boolean> {
    await deleteCampaign({ db: ctx.db, id });
    return true;
  }

  @Mutation(() => Campaign, { description: 'A new DRAFT with the same targeting and content.' })
  async duplicateCampaign(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Campaign> {
    return this.withDraws(ctx, toCampaign(await duplicateCampaign({ db: ctx.db, id, owner: ownerOf(ctx), now: ctx.now })));
  }

  @Mutation(() => Campaign, {
    description:
      'Sends a DRAFT campaign now (RUNNING, one run). Refused when a target segment is below the narrow threshold unless acknowledgeWarnings is true; CONFLICT from any other state.',
  })
  async launchCampaign(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('acknowledgeWarnings', () => Boolean, { defaultValue: false }) acknowledgeWarnings: boolean,
  ): Promise<Campaign> {
    return this.after(ctx, await launchCampaign({ db: ctx.db, id, acknowledgeWarnings, now: ctx.now, ...launchLimits(ctx) }));
  }

  @Mutation(() => Campaign, { description: 'Schedules a DRAFT campaign: at a time, recurring (cron), or at a local time where each recipient lives.' })
  async scheduleCampaign(
    @Ctx() ctx: Context,
    @Arg('id', () => ID) id: string,
    @Arg('schedule', () => ScheduleInput) schedule: ScheduleInput,
    @Arg('acknowledgeWarnings', () => Boolean, { defaultValue: false }) acknowledgeWarnings: boolean,
  ): Promise<Campaign> {
    return this.after(ctx, await scheduleCampaign({ db: ctx.db, id, schedule, acknowledgeWarnings, now: ctx.now, ...launchLimits(ctx) }));
  }

  @Mutation(() => Campaign, { description: 'Pauses a SCHEDULED or RUNNING campaign: nothing fires or is sent until resumed.' })
  async pauseCampaign(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Campaign> {
    return this.after(ctx, await pauseCampaign({ db: ctx.db, id, now: ctx.now }));
  }

  @Mutation(() => Campaign, { description: 'Resumes a PAUSED campaign (RUNNING if a run is open, else SCHEDULED); missed occurrences fall under the lateness limit.' })
  async resumeCampaign(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Campaign> {
    return this.after(ctx, await resumeCampaign({ db: ctx.db, id, now: ctx.now }));
  }

  @Mutation(() => Campaign, { description: 'Cancels a SCHEDULED, RUNNING or PAUSED campaign; unsent messages are CANCELLED.' })
  async cancelCampaign(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<Campaign> {
    return this.after(ctx, await cancelCampaign({ db: ctx.db, id, now: ctx.now }));
  }

  @Query(() => CampaignRunConnection, { description: "A campaign's runs, newest first.", complexity: listCost(20) })
  async campaignRuns(
    @Ctx() ctx: Context,
    @Arg('campaign', () => ID) campaign: string,
    @Arg('first', () => Int, { defaultValue: 20 }) first: number,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<CampaignRunConnection> {
    checkFirst(first, 'first', 200);
    await loadCampaignDetail(ctx.db, campaign, 'campaign');
    const before = after ? decodeCursor(after) : null;
    if (after && !before) throw badInput('after', 'INVALID_CURSOR', 'after must be a cursor from pageInfo.endCursor');
    const rows = await listRuns(ctx.db, campaign, before, first + 1);
    const page = rows.slice(0, first);
    return { nodes: page as never, pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? encodeCursor(page[page.length - 1].id) : null } };
  }

  @Query(() => CampaignAudience, {
    description:
      "Who the campaign would reach now and why not: targeted, excluded, each suppression reason (consent, address, blocklist, duplicates, hold-out, contact rules by policy, max recipients), expected messages per channel and variant, messages avoided and CO2 saved.",
  })
  async campaignAudience(@Ctx() ctx: Context, @Arg('campaign', () => ID) campaign: string): Promise<CampaignAudience> {
    const detail = await loadCampaignDetail(ctx.db, campaign, 'campaign');
    if (!detail.targetSegmentIds.length) throw badInput('campaign', 'NO_TARGET', 'the campaign targets no segment');
    const settings = runSettings(ctx.config);
    const forecast = await forecastAudience({
      db: ctx.db,
      detail,
      rules: await loadContactRules(ctx.db),
      now: ctx.now,
      settings,
      co2: { gramsPerEmail: ctx.config.campaigns.co2GramsPerEmail, gramsPerSms: ctx.config.campaigns.co2GramsPerSms },
      latenessMs: settings.latenessLimitMs,
    });
    return forecast as unknown as CampaignAudience;
  }

  @Query(() => MessagePreview, { description: "Exactly what one customer would get: their variant (or the one asked), the channel, the rendered message, SMS encoding and parts." })
  async renderPreview(
    @Ctx() ctx: Context,
    @Arg('campaign', () => ID) campaign: string,
    @Arg('customer', () => CustomerRefInput) customer: CustomerRefInput,
    @Arg('variant', () => String, { nullable: true }) variant?: string | null,
    @Arg('channel', () => Channel, { nullable: true }) channel?: Channel | null,
  ): Promise<MessagePreview> {
    const p = await previewMessage({
      db: ctx.db,
      campaignId: campaign,
      customer,
      variant,
      channel,
      publicUrl: ctx.config.publicUrl,
      linkSecret: ctx.config.campaigns.linkSigningSecret,
      fallbackOrder: ctx.config.campaigns.fallbackOrder,
      maskContact: ctx.principal !== null && MASKED_CONTACT_ROLES.has(ctx.principal.role),
    });
    const m = p.message;
    return {
      customerId: p.customerId,
      variant: p.variant,
      channel: p.channel as Channel,
      heldOut: p.heldOut,
      subject: m.channel === 'EMAIL' ? m.subject : null,
      html: m.channel === 'EMAIL' ? m.html : null,
      text: m.channel === 'EMAIL' ? m.text : null,
      headers: m.channel === 'EMAIL' ? Object.entries(m.headers).map(([name, value]) => ({ name, value })) : [],
      smsBody: m.channel === 'SMS' ? m.body : null,
      sms: m.channel === 'SMS' ? (m.sms as MessagePreview['sms']) : null,
    };
  }

  @Query(() => MessageConnection, { description: 'The ledger of a campaign: one row per run and customer, sent or with its reason. Keyset pages in id order.', complexity: listCost(50) })
  async messages(
    @Ctx() ctx: Context,
    @Arg('campaign', () => ID) campaign: string,
    @Arg('run', () => ID, { nullable: true }) run?: string | null,
    @Arg('outcome', () => MessageOutcome, { nullable: true }) outcome?: MessageOutcome | null,
    @Arg('first', () => Int, { defaultValue: 50 }) first = 50,
    @Arg('after', () => String, { nullable: true }) after?: string | null,
  ): Promise<MessageConnection> {
    checkFirst(first, 'first', 1000);
    if (!/^\d{1,18}$/.test(campaign)) throw badInput('campaign', 'INVALID_ID', 'campaign must be a campaign id');
    if (run != null && !/^\d{1,18}$/.test(run)) throw badInput('run', 'INVALID_ID', 'run must be a run id');
    const cursor = after ? decodeCursor(after) : null;
    if (after && !cursor) throw badInput('after', 'INVALID_CURSOR', 'after must be a cursor from pageInfo.endCursor');
    await requireCampaign(ctx, campaign);
    const rows = await listMessages(ctx.db, { campaignId: campaign, runId: run ?? null, outcome: (outcome as Outcome | null) ?? null, after: cursor, limit: first + 1 });
    const page = rows.slice(0, first);
    const masked = ctx.principal !== null && MASKED_CONTACT_ROLES.has(ctx.principal.role);
    const nodes = page.map((m) => ({ ...m, address: masked ? (m.channel === 'SMS' ? maskPhone(m.address) : maskEmail(m.address)) : m.address }));
    return { nodes: nodes as never, pageInfo: { hasNextPage: rows.length > first, endCursor: page.length ? encodeCursor(page[page.length - 1].id) : null } };
  }

  @Query(() => [OutcomeCount], { description: 'Messages of a campaign (or one run) by outcome, reason, rule and channel: every person not sent to has exactly one reason.' })
  async campaignOutcomes(@Ctx() ctx: Context, @Arg('campaign', () => ID) campaign: string, @Arg('run', () => ID, { nullable: true }) run?: string | null): Promise<OutcomeCount[]> {
    if (!/^\d{1,18}$/.test(campaign)) throw badInput('campaign', 'INVALID_ID', 'campaign must be a campaign id');
    if (run != null && !/^\d{1,18}$/.test(run)) throw badInput('run', 'INVALID_ID', 'run must be a run id');
    await requireCampaign(ctx, campaign);
    return (await countOutcomes(ctx.db, { campaignId: campaign, runId: run ?? null })) as never;
  }

  /**
   * Asks a worker to store the campaign's draws now rather than at the next tick, so that its first
   * forecasts read them. Best effort: the campaign is saved, and without stored draws the forecast
   * draws live (same answer, slower).
   */
  private async withDraws(ctx: Context, campaign: Campaign): Promise<Campaign> {
    await scheduleDrawFill(ctx.services.queues, campaign.id).catch((err) => ctx.logger.warn({ err, campaignId: campaign.id }, 'could not schedule the campaign draws'));
    return campaign;
  }

  /** The campaign after a command, and the run it created handed to the workers. */
  private async after(ctx: Context, result: TransitionResult): Promise<Campaign> {
    for (const runId of result.runIds ?? (result.runId ? [result.runId] : [])) await scheduleRunPlanning(ctx.services.queues, runId);
    return (await listCampaignsById(ctx, result.campaign.id))[0];
  }
}

/** NOT_FOUND at `campaign` for an unknown id (lists would otherwise just come back empty). */
async function requireCampaign(ctx: Context, id: string): Promise<void> {
  if (!(await getCampaigns(ctx.db, [id])).length) throw notFound('campaign', 'no such campaign');
}

async function listCampaignsById(ctx: Context, id: string): Promise<Campaign[]> {
  return toCampaigns(ctx, await getCampaigns(ctx.db, [id]));
}
