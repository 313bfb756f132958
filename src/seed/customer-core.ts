/**
 * The customer core: the facts every lane needs (country, lifecycle, signup, channels, consents, purchase
 * and event weights), drawn from the customer's core stream, and the allocator that turns weights into
 * exact row counts.
 */

import { cumulative, type Random, STREAM } from './random.js';
import { CATEGORY_CUMULATIVE } from './reference-catalogue.js';
import { SIGNUP_CHANNELS, SIGNUP_CUMULATIVE } from './reference-people.js';
import { COUNTRIES, COUNTRY_CUMULATIVE, type CityRef, type CountryRef } from './reference-places.js';
import { DAY_MS, wakingHour, YEAR_MS } from './value-format.js';

/** Lifecycle the purchase history is drawn for (segments must then find these groups). */
export const enum Kind {
  PROSPECT,
  ACTIVE,
  DECLINING,
  LAPSED,
}
const KIND_CUMULATIVE = cumulative([10, 68, 10, 12]);

/** A channel's current consent: never asked, opted in or opted out. */
export const enum Consent {
  NONE,
  SUBSCRIBED,
  UNSUBSCRIBED,
}

/** Mutable, reused per lane: one allocation per lane instead of one per customer. */
export class CoreProfile {
  country!: CountryRef;
  city!: CityRef;
  kind = Kind.ACTIVE;
  signupMs = 0;
  signupChannel = 0;
  /** 0 none, 1 iOS, 2 Android. */
  mobileOs = 0;
  isAppUser = false;
  hasEmail = true;
  hasPhone = true;
  emailConsent = Consent.NONE;
  smsConsent = Consent.NONE;
  isLoyaltyMember = false;
  isMusicFan = false;
  favouriteCategory = 0;
  spendScale = 1;
  /** Purchase window and expected purchases (rate x window): the transaction weight. */
  txStartMs = 0;
  txEndMs = 0;
  txWeight = 0;
  eventStartMs = 0;
  eventWeight = 0;

  /** Draws the core of customer `n` (1-based). The draw order is part of the output: append only. */
  fill(r: Random, seed: number, n: number, nowMs: number): this {
    r.reset(seed, n, STREAM.core);
    const country = COUNTRIES[r.weighted(COUNTRY_CUMULATIVE)];
    this.country = country;
    this.city = country.cities[r.weighted(country.cityCumulative)];
    const kind = r.weighted(KIND_CUMULATIVE) as Kind;
    this.kind = kind;

    // Signups over 3 years up to yesterday, growing: density 1 + x on [0, 1] (x = 1 is yesterday),
    // drawn by inverting its CDF. Lapsed and declining customers need a past: 400 days at least.
    const span = 3 * YEAR_MS;
    const u = r.next();
    const x = kind === Kind.LAPSED || kind === Kind.DECLINING ? u * (1 - (400 * DAY_MS) / span) : -1 + Math.sqrt(1 + 3 * u);
    const latest = nowMs - DAY_MS;
    this.signupMs = wakingHour(latest - span + x * span, this.city.offsetMs, r.next(), latest - span - DAY_MS, latest);
    this.signupChannel = r.weighted(SIGNUP_CUMULATIVE);
    const isApp = SIGNUP_CHANNELS[this.signupChannel] === 'APP';
    this.mobileOs = r.chance(isApp ? 1 : 0.9) ? (r.chance(0.45) ? 1 : 2) : 0;
    this.isAppUser = isApp || (this.mobileOs !== 0 && r.chance(0.35));
    this.hasEmail = !r.chance(isApp || SIGNUP_CHANNELS[this.signupChannel] === 'STORE' ? 0.1 : 0.02);
    this.hasPhone = r.chance(SIGNUP_CHANNELS[this.signupChannel] === 'STORE' ? 0.9 : 0.7) || !this.hasEmail;
    const ce = r.next();
    this.emailConsent = !this.hasEmail ? Consent.NONE : ce < 0.62 ? Consent.SUBSCRIBED : ce < 0.76 ? Consent.UNSUBSCRIBED : Consent.NONE;
    const cs = r.next();
    this.smsConsent = !this.hasPhone ? Consent.NONE : cs < 0.38 ? Consent.SUBSCRIBED : cs < 0.5 ? Consent.UNSUBSCRIBED : Consent.NONE;
    this.isLoyaltyMember = r.chance(0.65);
    this.isMusicFan = r.chance(0.3);
    this.favouriteCategory = r.weighted(CATEGORY_CUMULATIVE);
    this.spendScale = Math.exp(0.35 * r.normal());

    // Purchases a year: lognormal with sigma 1.2, which alone puts ~45% of purchases on the top 10%
    // of buyers; capped at 40x the median so one customer cannot swallow a small base.
    const rate = Math.min(40, Math.exp(1.2 * r.normal()));
    const twoYearsAgo = nowMs - 2 * YEAR_MS;
    this.txStartMs = Math.max(this.signupMs, twoYearsAgo);
    const lapseRoom = nowMs - 370 * DAY_MS - this.txStartMs;
    this.txEndMs = kind === Kind.LAPSED ? this.txStartMs + lapseRoom * (0.3 + 0.7 * r.next()) : nowMs - 60_000;
    const years = Math.max(0, this.txEndMs - this.txStartMs) / YEAR_MS;
    this.txWeight = kind === Kind.PROSPECT ? 0 : rate * years * (kind === Kind.DECLINING ? 1.6 : kind === Kind.LAPSED ? 0.8 : 1);

    const yearAgo = nowMs - YEAR_MS;
    this.eventStartMs = Math.max(this.signupMs, yearAgo);
    const engagement = Math.exp(0.9 * r.normal()) * (this.isAppUser ? 1.8 : 1) * (kind === Kind.LAPSED ? 0.15 : kind === Kind.PROSPECT ? 0.6 : 1);
    this.eventWeight = (engagement * (nowMs - this.eventStartMs)) / YEAR_MS;
    return this;
  }
}

/**
 * Hands out exactly `total` items over customers in proportion to their weights, in one pass, by
 * systematic rounding of the cumulative share (the same customer always gets the same count). With
 * `atLeastOne`, every customer of positive weight gets one item first, when the total allows it.
 */
export class Allocator {
  private cum = 0;
  private previous = 0;
  private readonly extra: number;
  private readonly base: number;

  constructor(
    total: number,
    private readonly weightSum: number,
    positive: number,
    atLeastOne: boolean,
  ) {
    this.base = atLeastOne && total >= positive ? 1 : 0;
    this.extra = total - this.base * positive;
  }

  next(weight: number): number {
    if (weight <= 0) return 0;
    this.cum += weight;
    // The running sum reaches weightSum exactly (same additions, same order as the first pass),
    // so the last customer of positive weight takes the rounding remainder.
    const target = this.cum >= this.weightSum ? this.extra : Math.floor((this.extra * this.cum) / this.weightSum);
    const count = target - this.previous;
    this.previous = target;
    return this.base + count;
  }
}

