import type { Channel } from './contact-policy.js';

/*
 * Step 2 of the audience precedence (audience.ts), from a customer's reach code: the generated
 * `customers.reach` column (migration 1764800000000) packs what decides whether and where a customer
 * can be reached. A campaign turns the 1,024 possible codes into a routing table once, in
 * TypeScript (here, and nowhere else), and the audience query looks each customer up in it with one
 * get_byte, so that PostgreSQL never evaluates the precedence itself.
 */

/** Bits of `customers.reach`. */
export const REACH = {
  /** EMAIL consent is SUBSCRIBED. */
  EMAIL_CONSENT: 1,
  /** An email is set. */
  EMAIL_PRESENT: 2,
  /** The email is blocklisted. */
  EMAIL_BLOCKED: 4,
  /** Another live customer has the same email. */
  EMAIL_SHARED: 8,
  SMS_CONSENT: 16,
  PHONE_PRESENT: 32,
  PHONE_BLOCKED: 64,
  PHONE_SHARED: 128,
  /** Two bits: 0 no preference, 1 EMAIL, 2 SMS. */
  PREFERRED_SHIFT: 8,
} as const;

/** Every reach code (10 bits). */
export const REACH_CODES = 1024;

/** Why a customer cannot be reached on a channel (checked in this order). */
export type BlockReason = 'NO_CONTENT' | 'NO_CONSENT' | 'NO_ADDRESS' | 'BLOCKLISTED';

/** Where a customer goes: step 2 decided, plus whether step 3 (one message per address) concerns them. */
export interface Route {
  /** Null: reachable (on `chosen`). */
  reason: BlockReason | null;
  /** The channel meant for them: the campaign's, or for PREFERRED their preferred one, else the first of the fallback order. */
  intended: Channel;
  chosen: Channel | null;
  /** The other channel, when it has content and passes the checks too (for rules that say FALLBACK). */
  fallback: Channel | null;
  /** Reachable on an address another live customer holds (chosen or fallback): resolved one by one. */
  isShared: boolean;
}

export interface RoutingOptions {
  channel: Channel | 'PREFERRED';
  isMarketing: boolean;
  /** Channels the campaign has content for. */
  content: readonly Channel[];
  /** Channel order for PREFERRED after the customer's own preference. */
  fallbackOrder: readonly Channel[];
}

const BITS: Record<Channel, { consent: number; present: number; blocked: number; shared: number }> = {
  EMAIL: { consent: REACH.EMAIL_CONSENT, present: REACH.EMAIL_PRESENT, blocked: REACH.EMAIL_BLOCKED, shared: REACH.EMAIL_SHARED },
  SMS: { consent: REACH.SMS_CONSENT, present: REACH.PHONE_PRESENT, blocked: REACH.PHONE_BLOCKED, shared: REACH.PHONE_SHARED },
};

/** The reach code of a customer's facts (what the generated column computes), for tests and previews. */
export function reachCode(f: {
  emailConsent: boolean;
  emailPresent: boolean;
  emailBlocked: boolean;
  emailShared: boolean;
  smsConsent: boolean;
  phonePresent: boolean;
  phoneBlocked: boolean;
  phoneShared: boolean;
  preferred: Channel | null;
}): number {
  const bit = (on: boolean, b: number) => (on ? b : 0);
  return (
    bit(f.emailConsent, REACH.EMAIL_CONSENT) |
    bit(f.emailPresent, REACH.EMAIL_PRESENT) |
    bit(f.emailBlocked, REACH.EMAIL_BLOCKED) |
    bit(f.emailShared, REACH.EMAIL_SHARED) |
    bit(f.smsConsent, REACH.SMS_CONSENT) |
    bit(f.phonePresent, REACH.PHONE_PRESENT) |
    bit(f.phoneBlocked, REACH.PHONE_BLOCKED) |
    bit(f.phoneShared, REACH.PHONE_SHARED) |
    ((f.preferred === 'EMAIL' ? 1 : f.preferred === 'SMS' ? 2 : 0) << REACH.PREFERRED_SHIFT)
  );
}

/**
 * Step 2 for one reach code. Per channel, in this order: no content on it (NO_CONTENT), marketing
 * without SUBSCRIBED consent (NO_CONSENT; transactional needs none), no address (NO_ADDRESS), a
 * blocklisted address (BLOCKLISTED). A PREFERRED campaign falls back to the other channel when the
 * intended one fails; when both fail the reason is the intended channel's.
 */
export function routeOf(reach: number, o: RoutingOptions): Route {
  const block = (ch: Channel): BlockReason | null => {
    const b = BITS[ch];
    if (!o.content.includes(ch)) return 'NO_CONTENT';
    if (o.isMarketing && !(reach & b.consent)) return 'NO_CONSENT';
    if (!(reach & b.present)) return 'NO_ADDRESS';
    if (reach & b.blocked) return 'BLOCKLISTED';
    return null;
  };
  const preferred = ([null, 'EMAIL', 'SMS', null] as const)[(reach >> REACH.PREFERRED_SHIFT) & 3];
  const isPreferred = o.channel === 'PREFERRED';
  const intended: Channel =
    o.channel !== 'PREFERRED' ? o.channel : preferred && o.content.includes(preferred) ? preferred : (o.fallbackOrder.find((c) => o.content.includes(c)) ?? 'EMAIL');
  const other: Channel = intended === 'EMAIL' ? 'SMS' : 'EMAIL';
  const intendedBlock = block(intended);
  const otherBlock = block(other);
  const chosen = intendedBlock === null ? intended : isPreferred && otherBlock === null ? other : null;
  const fallback = intendedBlock === null && otherBlock === null ? other : null;
  const reason = chosen === null ? intendedBlock : null;
  const sharedOn = (ch: Channel | null) => ch !== null && (reach & BITS[ch].shared) !== 0;
  return { reason, intended, chosen, fallback, isShared: reason === null && (sharedOn(chosen) || sharedOn(fallback)) };
}

/**
 * A campaign's routing table: `table[code]` is the index of the code's route in `routes`, which come
 * in three runs: reachable on addresses nobody else holds (indexes below `direct`), reachable on a
 * shared address (below `reachable`), not reachable (the rest).
 */
export interface RouteTable {
  table: Buffer;
  routes: Route[];
  direct: number;
  reachable: number;
}

export function routeTable(o: RoutingOptions): RouteTable {
  const all = Array.from({ length: REACH_CODES }, (_, code) => routeOf(code, o));
  const keyOf = (r: Route) => `${r.reason}|${r.intended}|${r.chosen}|${r.fallback}|${r.isShared}`;
  const rank = (r: Route) => (r.reason !== null ? 2 : r.isShared ? 1 : 0);
  const distinct = [...new Map(all.map((r) => [keyOf(r), r])).values()].sort((a, b) => rank(a) - rank(b));
  const index = new Map(distinct.map((r, i) => [keyOf(r), i]));
  const table = Buffer.from(all.map((r) => index.get(keyOf(r))!));
  return { table, routes: distinct, direct: distinct.filter((r) => rank(r) === 0).length, reachable: distinct.filter((r) => rank(r) < 2).length };
}
