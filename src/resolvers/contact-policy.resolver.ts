import { Arg, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import {
  createContactPolicy,
  deleteContactPolicy,
  getContactPolicies,
  listContactPolicies,
  setContactPreferences,
  updateContactPolicy,
  type ContactPolicyFields,
  type ContactPolicyRow,
  type ContactPreferencesRow,
} from '../campaigns/contact-policies.js';
import { formatClockTime } from '../campaigns/local-time.js';
import { resolveCustomer } from '../customers/consents.js';
import { badInput } from '../errors.js';
import { parseInstant } from '../ingestion/field-checks.js';
import { CustomerRefInput } from '../schema/consent.types.js';
import { ContactCapInput, ContactPolicy, ContactPolicyInput, ContactPreferences, UpdateContactPolicyInput } from '../schema/contact-policy.types.js';
import type { Context } from './context.js';

const hhmm = (m: number | null) => (m == null ? null : formatClockTime(m));
const toPolicy = (p: ContactPolicyRow): ContactPolicy => ({ ...(p as unknown as ContactPolicy), quietStart: hhmm(p.quietStart), quietEnd: hhmm(p.quietEnd) });
const toPreferences = (p: ContactPreferencesRow): ContactPreferences => ({
  customerId: p.customerId,
  cap: p.capMax !== null && p.capUnit ? ({ max: p.capMax, unit: p.capUnit } as ContactPreferences['cap']) : null,
  marketingPausedUntil: p.marketingPausedUntil,
  updatedAt: p.updatedAt,
});
const given = <T extends object>(input: T) => Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined)) as Partial<ContactPolicyFields>;

@Resolver(() => ContactPolicy)
export class ContactPolicyResolver {
  @Query(() => [ContactPolicy], { description: 'Every contact policy, in check order (enabled or not).' })
  async contactPolicies(@Ctx() ctx: Context): Promise<ContactPolicy[]> {
    return (await listContactPolicies(ctx.db)).map(toPolicy);
  }

  @Query(() => ContactPolicy, { nullable: true, description: 'One contact policy.' })
  async contactPolicy(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<ContactPolicy | null> {
    if (!/^\d{1,18}$/.test(id)) throw badInput('id', 'INVALID_ID', 'id must be a contact policy id');
    const [p] = await getContactPolicies(ctx.db, [id]);
    return p ? toPolicy(p) : null;
  }

  @Mutation(() => ContactPolicy, { description: 'Adds a contact policy; it applies to every message planned from now on (and to forecasts).' })
  async createContactPolicy(@Ctx() ctx: Context, @Arg('input', () => ContactPolicyInput) input: ContactPolicyInput): Promise<ContactPolicy> {
    return toPolicy(await createContactPolicy({ db: ctx.db, input: given(input) as ContactPolicyFields, now: ctx.now }));
  }

  @Mutation(() => ContactPolicy, { description: 'Changes a contact policy; omitted fields stay.' })
  async updateContactPolicy(@Ctx() ctx: Context, @Arg('id', () => ID) id: string, @Arg('input', () => UpdateContactPolicyInput) input: UpdateContactPolicyInput): Promise<ContactPolicy> {
    if (!/^\d{1,18}$/.test(id)) throw badInput('id', 'INVALID_ID', 'id must be a contact policy id');
    const fields = Object.fromEntries(Object.entries(input).filter(([k, v]) => v !== undefined && !(v === null && ['name', 'kind', 'action'].includes(k))));
    return toPolicy(await updateContactPolicy({ db: ctx.db, id, input: fields as Partial<ContactPolicyFields>, now: ctx.now }));
  }

  @Mutation(() => Boolean, { description: 'Deletes a contact policy (to keep it but stop it, set isEnabled: false).' })
  async deleteContactPolicy(@Ctx() ctx: Context, @Arg('id', () => ID) id: string): Promise<boolean> {
    if (!/^\d{1,18}$/.test(id)) throw badInput('id', 'INVALID_ID', 'id must be a contact policy id');
    await deleteContactPolicy({ db: ctx.db, id });
    return true;
  }

  @Mutation(() => ContactPreferences, {
    description: "Sets a customer's own limits (the whole record: a null cap or pause clears it): a cap on marketing messages per local day or week, and a marketing pause until an instant. Honoured by every rule check.",
  })
  async setContactPreferences(
    @Ctx() ctx: Context,
    @Arg('customer', () => CustomerRefInput) customer: CustomerRefInput,
    @Arg('cap', () => ContactCapInput, { nullable: true }) cap?: ContactCapInput | null,
    @Arg('marketingPausedUntil', () => String, { nullable: true, description: 'ISO 8601 instant with offset.' }) marketingPausedUntil?: string | null,
  ): Promise<ContactPreferences> {
    const until = marketingPausedUntil == null ? null : parseInstant(marketingPausedUntil);
    if (until === undefined) throw badInput('marketingPausedUntil', 'INVALID_DATETIME', 'an ISO 8601 date-time with an offset');
    const c = await resolveCustomer(ctx.db, customer, 'customer');
    return toPreferences(await setContactPreferences({ db: ctx.db, customerId: c.id, cap: cap ? { max: cap.max, unit: cap.unit } : null, marketingPausedUntil: until, now: ctx.now }));
  }
}
