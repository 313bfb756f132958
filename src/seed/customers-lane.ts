/**
 * The customers lane: one row per customer, demographics, contact points, acquisition, devices, loyalty
 * and free attributes, drawn from the customer stream on top of the core.
 */

import { encodeCopyRow } from '../db/copy.js';
import { Allocator, Consent, CoreProfile } from './customer-core.js';
import type { Lane, Plan } from './lane.types.js';
import { Random, STREAM } from './random.js';
import { CLOTHING_CUMULATIVE, CLOTHING_SIZES, DIET_CUMULATIVE, DIETS, GENRES, HEALTH_CONDITIONS, INTERESTS, MEAN_BASKET } from './reference-catalogue.js';
import {
  EMAIL_DOMAIN_CUMULATIVE,
  EMAIL_DOMAINS,
  GENDER_CUMULATIVE,
  GENDERS,
  HOUSEHOLD_CUMULATIVE,
  INCOME_BANDS,
  INCOME_CUMULATIVE,
  languageOf,
  LOYALTY_TIERS,
  NAMES,
  OCCUPATIONS,
  SIGNUP_CHANNELS,
  SLUGS,
  STREETS,
} from './reference-people.js';
import { NANP_EXCHANGES } from './reference-places.js';
import { externalId, fillPattern, formatDate, formatInstant, YEAR_MS } from './value-format.js';

const CUSTOMER_COLUMNS = [
  'id', 'external_id', 'email', 'phone', 'first_name', 'last_name', 'birth_date', 'gender', 'locale', 'time_zone',
  'street_address', 'city', 'region', 'country', 'postal_code', 'household_size', 'income_band', 'occupation',
  'signup_channel', 'signed_up_at', 'acquisition_source', 'referral_source', 'devices', 'platforms', 'loyalty_tier',
  'loyalty_points', 'preferred_channel', 'attributes', 'created_at', 'updated_at', 'email_consent', 'sms_consent',
] as const;

/** The current consent of a channel, as customer_consents (and the consent lanes) hold it. */
const CONSENT_STATUS = ['', 'SUBSCRIBED', 'UNSUBSCRIBED'] as const;
const consentStatus = (c: Consent) => (c === Consent.NONE ? null : CONSENT_STATUS[c]);

/**
 * Phone suffixes are an affine permutation of the customer number over the suffix space: they look
 * random, yet two customers of one country never share a number while n stays below that space
 * (10^7 for France). 7,368,787 is coprime with 10, 7 and 113, the factors of every space used here.
 */
const PHONE_MULTIPLIER = 7_368_787;

function phoneSuffix(n: number, seed: number, space: number): number {
  // Reduced first so the product stays below 2^53 (at most 10^8 x 7.4 x 10^6).
  return ((n % space) * PHONE_MULTIPLIER + ((seed * 1_000_003) % space)) % space;
}

/**
 * A mobile number valid in the customer's country (in the US and Canada, with an area code of the
 * city), unique per customer.
 */
function phoneOf(core: CoreProfile, r: Random, seed: number, n: number): string {
  const c = core.country;
  if (c.mobilePrefixes.length === 0) {
    const v = phoneSuffix(n, seed, NANP_EXCHANGES.length * 10_000);
    return `+1${r.pick(core.city.areaCodes!)}${NANP_EXCHANGES[Math.floor(v / 10_000)]}${String(v % 10_000).padStart(4, '0')}`;
  }
  const v = phoneSuffix(n, seed, 10 ** c.suffixDigits);
  return `+${c.callingCode}${r.pick(c.mobilePrefixes)}${String(v).padStart(c.suffixDigits, '0')}`;
}

/**
 * Customer rows. Runs the transactions lane's allocator too, so that loyalty points follow each
 * customer's purchase count.
 */
export function customersLane(plan: Plan): Lane {
  const core = new CoreProfile();
  const r = new Random();
  const tx = new Allocator(plan.transactions, plan.txWeightSum, plan.buyers, true);
  const { seed, nowMs } = plan;
  return {
    table: 'customers',
    columns: CUSTOMER_COLUMNS,
    counter: 'customers',
    *lines(from, to) {
      for (let n = from; n <= to; n++) {
        core.fill(r, seed, n, nowMs);
        const purchases = tx.next(core.txWeight);
        r.reset(seed, n, STREAM.customer);
        const city = core.city;
        const locale = r.pick(city.locales);
        const names = NAMES[languageOf(locale)];
        const gender = GENDERS[r.weighted(GENDER_CUMULATIVE)];
        const first = r.pick(gender === 'FEMALE' ? names.female : gender === 'MALE' ? names.male : r.chance(0.5) ? names.female : names.male);
        const last = r.pick(names.last);

        let email: string | null = null;
        const format = r.int(5);
        if (core.hasEmail) {
          const f = SLUGS.get(first)!;
          const l = SLUGS.get(last)!;
          const local = format === 0 ? `${f}.${l}` : format === 1 ? `${f}${l}` : format === 2 ? `${f[0]}${l}` : format === 3 ? `${f}_${l}` : `${l}.${f}`;
          // The customer number makes every address unique whatever the name collisions.
          email = `${local}${n}@${EMAIL_DOMAINS[r.weighted(EMAIL_DOMAIN_CUMULATIVE)]}`;
        }
        const phone = core.hasPhone ? phoneOf(core, r, seed, n) : null;

        // Ages 18-85, most between 25 and 60: a hump from the mean of two uniforms, bent to the left.
        const ageYears = 18 + 67 * Math.min(0.995, Math.max(0.005, ((r.next() + r.next()) / 2) ** 1.25));
        const birthMs = nowMs - ageYears * YEAR_MS;
        const household = 1 + r.weighted(HOUSEHOLD_CUMULATIVE);
        const income = r.chance(0.12) ? null : INCOME_BANDS[r.weighted(INCOME_CUMULATIVE)];
        const occupation = r.chance(0.1)
          ? null
          : ageYears < 23 && r.chance(0.6)
            ? 'student'
            : ageYears >= 64 && r.chance(0.8)
              ? 'retired'
              : r.pick(OCCUPATIONS);

        const channel = SIGNUP_CHANNELS[core.signupChannel];
        let acquisition: string | null;
        let referral: string | null = null;
        if (channel === 'STORE') acquisition = r.chance(0.8) ? 'in_store' : 'direct';
        else if (channel === 'PARTNER') {
          acquisition = 'partner';
          referral = r.pick(['partner_bank', 'partner_airline', 'partner_telecom']);
        } else if (channel === 'SOCIAL') {
          acquisition = 'social';
          referral = r.pick(['instagram', 'facebook', 'tiktok', 'pinterest']);
        } else {
          const a = r.next();
          if (a < 0.25) {
            acquisition = 'organic_search';
            referral = r.pick(['google', 'google', 'google', 'bing', 'qwant', 'duckduckgo']);
          } else if (a < 0.42) {
            acquisition = 'paid_search';
            referral = r.pick(['google', 'google', 'bing']);
          } else if (a < 0.55) acquisition = 'email';
          else if (a < 0.67 && n > 1) {
            // Referral programme: the referrer is an earlier customer of the same seed.
            acquisition = 'referral';
            referral = externalId('c', seed, 1 + r.int(n - 1));
          } else if (a < 0.75) {
            acquisition = 'affiliate';
            referral = r.pick(['cashback_site', 'voucher_site', 'blog']);
          } else if (a < 0.8) acquisition = 'tv_radio';
          else acquisition = 'direct';
        }

        const devices: string[] = [];
        const platforms: string[] = [];
        if (core.mobileOs !== 0) {
          devices.push('smartphone');
          platforms.push(core.mobileOs === 1 ? 'ios' : 'android');
        }
        if (r.chance(0.6)) {
          devices.push('desktop');
          const d = r.next();
          platforms.push(d < 0.7 ? 'windows' : d < 0.95 ? 'macos' : 'linux');
        }
        if (r.chance(0.25)) devices.push('tablet');
        if (r.chance(0.08)) devices.push('smart_tv');
        if (channel === 'WEB' || r.chance(0.5)) platforms.push('web');

        let tier: string | null = null;
        let points: number | null = null;
        if (core.isLoyaltyMember) {
          // About one point per EUR spent, part of it already redeemed or expired.
          points = Math.round(purchases * MEAN_BASKET * core.spendScale * (0.2 + 0.6 * r.next()));
          tier = LOYALTY_TIERS.find((t) => points! >= t.min)!.tier;
        }
        const emailOk = core.emailConsent === Consent.SUBSCRIBED;
        const smsOk = core.smsConsent === Consent.SUBSCRIBED;
        const p = r.next();
        const preferred =
          emailOk && smsOk ? (p < 0.7 ? 'EMAIL' : 'SMS')
          : emailOk ? (p < 0.9 ? 'EMAIL' : null)
          : smsOk ? (p < 0.85 ? 'SMS' : null)
          : p < 0.4 ? (email ? 'EMAIL' : 'SMS')
          : null;

        const attributes: Record<string, unknown> = {};
        if (r.chance(0.6)) attributes.pets_at_home = r.chance(0.45);
        if (r.chance(0.5)) attributes.clothing_size = CLOTHING_SIZES[r.weighted(CLOTHING_CUMULATIVE)];
        if (r.chance(0.3)) attributes.shoe_size = gender === 'MALE' ? 40 + r.int(8) : 35 + r.int(7);
        if (r.chance(0.55)) {
          const k = 1 + r.int(4);
          const picked = new Set<string>();
          if (core.isMusicFan) picked.add('music');
          while (picked.size < k) picked.add(r.pick(INTERESTS));
          attributes.interests = [...picked];
        }
        if (core.isMusicFan || r.chance(0.1)) attributes.favourite_genre = r.pick(GENRES);
        if (r.chance(0.35)) attributes.diet = DIETS[r.weighted(DIET_CUMULATIVE)];
        if (household >= 2 && ageYears > 25 && r.chance(0.08)) attributes.wedding_anniversary = formatDate(nowMs - (1 + r.next() * (ageYears - 24)) * YEAR_MS);
        // Sensitive and sparse on purpose: segment rules that touch it must be flagged, not common.
        if (r.chance(0.03)) attributes.health_condition = r.pick(HEALTH_CONDITIONS);

        const signedUpAt = formatInstant(core.signupMs);
        yield encodeCopyRow([
          plan.idBase + n,
          externalId('c', seed, n),
          email,
          phone,
          first,
          last,
          formatDate(birthMs),
          gender,
          locale,
          city.timeZone,
          STREETS[languageOf(locale)](r),
          city.name,
          city.region,
          core.country.code,
          fillPattern(r.pick(city.postal), r),
          household,
          income,
          occupation,
          channel,
          signedUpAt,
          acquisition,
          referral,
          devices,
          platforms,
          tier,
          points,
          preferred,
          attributes,
          signedUpAt,
          signedUpAt,
          // Written here as well as by the consent lanes: when those skip triggers (replica mode), the
          // reach columns the consent triggers would keep are already right.
          consentStatus(core.emailConsent),
          consentStatus(core.smsConsent),
        ]);
      }
    },
  };
}

