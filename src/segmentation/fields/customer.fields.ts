import { Channel, Gender, SignupChannel } from '../../schema/enums.js';
import type { FieldDef, FieldType } from './field.js';

function column(key: string, column: string, type: FieldType, description: string, extra: Partial<FieldDef> = {}): FieldDef {
  return { key: `customer.${key}`, family: 'customer', type, description, sensitive: false, sql: () => `c.${column}`, ...extra };
}

/**
 * Demographic, geographic, technographic and loyalty fields stored on the customer row, plus the
 * relative-date fields derived from them (age, days to birthday) at evaluation time.
 */
export const customerFields: readonly FieldDef[] = [
  column('country', 'country', 'STRING', 'ISO 3166-1 alpha-2 country code (FR, DE, ...).'),
  column('region', 'region', 'STRING', 'Region, state or département.'),
  column('city', 'city', 'STRING', 'City.'),
  column('postal_code', 'postal_code', 'STRING', 'Postal code (STARTS_WITH "75" for Paris).'),
  column('time_zone', 'time_zone', 'STRING', 'IANA time zone.'),
  column('locale', 'locale', 'STRING', 'BCP 47 language tag.'),
  column('gender', 'gender', 'ENUM', 'Self-declared gender.', { values: Object.values(Gender), sensitive: true }),
  column('birth_date', 'birth_date', 'DATE', 'Birth date.', { sensitive: true }),
  {
    key: 'customer.age',
    family: 'customer',
    type: 'NUMBER',
    description: 'Age in whole years today (from the birth date).',
    sensitive: true,
    sql: (ctx) => `date_part('year', age(${ctx.today}::date, c.birth_date))::int`,
    // As a birth-date range (age ≥ n ⇔ born on or before today − n years), which the planner can
    // estimate and an index could serve; the generic form is opaque to both.
    compare: (ctx, op, value) => {
      const bornBy = (years: number) => `(${ctx.today}::date - make_interval(years => ${ctx.param(years)}::int))::date`;
      const atLeast = (n: number) => `c.birth_date <= ${bornBy(n)}`;
      const atMost = (n: number) => `c.birth_date > ${bornBy(n + 1)}`;
      const sane = (...xs: number[]) => xs.every((x) => Number.isFinite(x) && Math.abs(x) <= 200);
      const n = (value as { number?: number }).number;
      const range = (value as { range?: { from: number; to: number } }).range;
      if (op === 'BETWEEN' && range && sane(range.from, range.to)) return `${atLeast(Math.ceil(range.from))} AND ${atMost(Math.floor(range.to))}`;
      if (typeof n !== 'number' || !sane(n)) return undefined;
      switch (op) {
        case 'GTE':
          return atLeast(Math.ceil(n));
        case 'GT':
          return atLeast(Math.floor(n) + 1);
        case 'LTE':
          return atMost(Math.floor(n));
        case 'LT':
          return atMost(Math.ceil(n) - 1);
        case 'EQ':
          return Number.isInteger(n) ? `${atLeast(n)} AND ${atMost(n)}` : undefined;
        default:
          return undefined;
      }
    },
  },
  {
    key: 'customer.days_to_birthday',
    family: 'customer',
    type: 'NUMBER',
    description: 'Days until the next birthday (0 on the day; 29 February counts as 28 February in other years). "Birthday in the next 7 days": LTE 7.',
    sensitive: true,
    sql: (ctx) => {
      const thisYear = `(c.birth_date + make_interval(years => (date_part('year', ${ctx.today}::date) - date_part('year', c.birth_date))::int))::date`;
      return `(CASE WHEN ${thisYear} >= ${ctx.today}::date THEN ${thisYear} - ${ctx.today}::date
                    ELSE (c.birth_date + make_interval(years => (date_part('year', ${ctx.today}::date) - date_part('year', c.birth_date))::int + 1))::date - ${ctx.today}::date END)`;
    },
  },
  column('household_size', 'household_size', 'NUMBER', 'People in the household.'),
  column('income_band', 'income_band', 'STRING', 'Income band as the brand defines it.'),
  column('occupation', 'occupation', 'STRING', 'Occupation.'),
  column('signup_channel', 'signup_channel', 'ENUM', 'Where the customer signed up.', { values: Object.values(SignupChannel) }),
  column('signed_up_at', 'signed_up_at', 'DATETIME', 'When the customer signed up. "Signed up in the last 30 days": WITHIN_LAST 30 DAYS.'),
  column('created_at', 'created_at', 'DATETIME', 'When Cible first stored the customer.'),
  column('acquisition_source', 'acquisition_source', 'STRING', 'Acquisition source.'),
  column('referral_source', 'referral_source', 'STRING', 'Referral source.'),
  column('devices', 'devices', 'LIST', 'Devices used.'),
  column('platforms', 'platforms', 'LIST', 'Platforms used.'),
  column('loyalty_tier', 'loyalty_tier', 'STRING', 'Loyalty tier.'),
  column('loyalty_points', 'loyalty_points', 'NUMBER', 'Loyalty points balance.'),
  column('preferred_channel', 'preferred_channel', 'ENUM', 'Preferred contact channel.', { values: Object.values(Channel) }),
];
