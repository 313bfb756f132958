import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { closeDatabase, openDatabase } from '../../src/db/database.js';
import { DomainError } from '../../src/errors.js';
import { checkAttributeValue, loadAttributeCatalogue } from '../../src/ingestion/attribute-catalogue.js';
import { normaliseEmail, normalisePhone } from '../../src/ingestion/field-checks.js';
import { generateBase, SEED_ATTRIBUTE_DEFINITIONS, type SeedSummary } from '../../src/seed/generate-base.js';
import { createTestDb, type TestDb } from '../support/databases.js';

const NOW = new Date('2026-01-15T00:00:00Z');
const YEAR_AGO = new Date('2025-01-15T00:00:00Z');
const TWO_YEARS_AGO = new Date('2024-01-15T00:00:00Z');
const CUSTOMERS = 2000;
const SEED = 7;

/** Time zones a customer of each country may have: the seed must keep them consistent. */
const ZONES: Record<string, RegExp> = {
  FR: /^(Europe\/Paris|Indian\/Reunion)$/,
  BE: /^Europe\/Brussels$/,
  CH: /^Europe\/Zurich$/,
  DE: /^Europe\/Berlin$/,
  ES: /^(Europe\/Madrid|Atlantic\/Canary)$/,
  IT: /^Europe\/Rome$/,
  GB: /^Europe\/London$/,
  US: /^America\/(New_York|Chicago|Denver|Phoenix|Los_Angeles)$/,
  CA: /^America\/(Toronto|Vancouver|Edmonton|Winnipeg|Halifax)$/,
};
const CURRENCIES: Record<string, string> = { FR: 'EUR', BE: 'EUR', DE: 'EUR', ES: 'EUR', IT: 'EUR', CH: 'CHF', GB: 'GBP', US: 'USD', CA: 'CAD' };

/** One md5 per seeded table, over every column of every row in a stable order. */
async function tableHashes(db: TestDb): Promise<Record<string, string>> {
  const order: Record<string, string> = {
    attribute_definitions: 'key',
    customers: 'id',
    customer_consents: 'customer_id, channel',
    consent_changes: 'id',
    transactions: 'id',
    customer_events: 'id',
  };
  const out: Record<string, string> = {};
  for (const [table, by] of Object.entries(order)) {
    const { rows } = await db.pool.query(`SELECT md5(string_agg(t::text, E'\\n' ORDER BY ${by})) AS h, count(*)::int AS n FROM ${table} t`);
    out[table] = `${rows[0].n}:${rows[0].h}`;
  }
  return out;
}

/** Every index and constraint definition: the bulk load drops and rebuilds them, this must not see it. */
async function schemaSnapshot(db: TestDb): Promise<string[]> {
  const { rows } = await db.pool.query<{ def: string }>(
    `SELECT indexname || ': ' || indexdef AS def FROM pg_indexes WHERE schemaname = 'public'
     UNION ALL
     SELECT conrelid::regclass || '.' || conname || ': ' || pg_get_constraintdef(oid) || CASE WHEN convalidated THEN '' ELSE ' NOT VALID' END
       FROM pg_constraint WHERE connamespace = 'public'::regnamespace
     ORDER BY 1`,
  );
  return rows.map((x) => x.def);
}

async function one<T = Record<string, any>>(db: TestDb, sql: string, params: unknown[] = []): Promise<T> {
  const { rows } = await db.pool.query(sql, params);
  return rows[0] as T;
}

let a: TestDb;
let b: TestDb;
let summary: SeedSummary;

beforeAll(async () => {
  [a, b] = await Promise.all([createTestDb(), createTestDb()]);
  summary = await generateBase({ db: a, customers: CUSTOMERS, seed: SEED, now: NOW });
});

afterAll(async () => {
  await Promise.all([a?.drop(), b?.drop()]);
});

describe('generateBase', () => {
  test('writes exactly the counts asked for: 10 transactions and 5 events per customer by default', async () => {
    expect(summary).toMatchObject({ customers: CUSTOMERS, transactions: 20_000, events: 10_000, attributeDefinitions: SEED_ATTRIBUTE_DEFINITIONS.length, firstId: 1 });
    const c = await one(
      a,
      `SELECT (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM transactions)::int AS transactions,
              (SELECT count(*) FROM customer_events)::int AS events, (SELECT count(*) FROM customer_consents)::int AS consents,
              (SELECT count(*) FROM consent_changes)::int AS changes`,
    );
    expect(c).toEqual({ customers: CUSTOMERS, transactions: 20_000, events: 10_000, consents: summary.consents, changes: summary.consentChanges });
    expect(summary.consentChanges).toBeGreaterThan(summary.consents);
  });

  test('the same seed and now give byte-identical rows in another database, also after --reset', async () => {
    const expected = await tableHashes(a);
    const schema = await schemaSnapshot(b);
    const s = await generateBase({ db: b, customers: CUSTOMERS, seed: SEED, now: NOW });
    expect(s.bulkLoadedTables).toEqual(['customers', 'customer_consents', 'consent_changes', 'transactions', 'customer_events']);
    expect(await schemaSnapshot(b)).toEqual(schema);
    expect(await tableHashes(b)).toEqual(expected);
    await generateBase({ db: b, customers: CUSTOMERS, seed: SEED, now: NOW, reset: true });
    expect(await tableHashes(b)).toEqual(expected);
  });

  test('refuses to write a seed twice without reset, and leaves the base unchanged', async () => {
    const before = await tableHashes(b);
    const err = await generateBase({ db: b, customers: 10, seed: SEED, now: NOW }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DomainError);
    expect(err).toMatchObject({ code: 'CONFLICT', reason: 'SEED_EXISTS' });
    expect((err as Error).message).toContain('c-7-');
    expect(await tableHashes(b)).toEqual(before);
  });

  test('a second seed appends after the first: new ids, new external ids, catalogue kept', async () => {
    const s = await generateBase({ db: b, customers: 50, seed: SEED + 1, now: NOW });
    expect(s).toMatchObject({ customers: 50, transactions: 500, events: 250, firstId: CUSTOMERS + 1, bulkLoadedTables: [] });
    const r = await one(b, `SELECT min(id)::int AS lo, max(id)::int AS hi, count(*)::int AS n FROM customers WHERE external_id LIKE 'c-8-%'`);
    expect(r).toEqual({ lo: CUSTOMERS + 1, hi: CUSTOMERS + 50, n: 50 });
    // The identity sequence was moved past the block: an ordinary insert does not collide.
    const { id } = await one(b, `INSERT INTO customers (external_id) VALUES ('after-seed') RETURNING id::int AS id`);
    expect(id).toBe(CUSTOMERS + 51);
  });

  test('a failure in one table rolls every table back and leaves indexes and constraints as they were', async () => {
    const c = await createTestDb();
    try {
      const schema = await schemaSnapshot(c);
      // A consent change the seed is about to write: its unique key fails the consent history lane.
      const { rows } = await a.pool.query(`SELECT customer_id, channel, status, changed_at FROM consent_changes ORDER BY id DESC LIMIT 1`);
      const x = rows[0];
      await c.pool.query(`INSERT INTO consent_changes (customer_id, channel, status, changed_at, is_applied) VALUES ($1, $2, $3, $4, true)`, [x.customer_id, x.channel, x.status, x.changed_at]);
      await expect(generateBase({ db: c, customers: CUSTOMERS, seed: SEED, now: NOW })).rejects.toThrow(/consent_changes_dedupe_key/);
      const counts = await one(
        c,
        `SELECT (SELECT count(*) FROM customers)::int AS customers, (SELECT count(*) FROM customer_consents)::int AS consents,
                (SELECT count(*) FROM consent_changes)::int AS changes, (SELECT count(*) FROM transactions)::int AS transactions,
                (SELECT count(*) FROM customer_events)::int AS events`,
      );
      expect(counts).toEqual({ customers: 0, consents: 0, changes: 1, transactions: 0, events: 0 });
      expect(await schemaSnapshot(c)).toEqual(schema);
    } finally {
      await c.drop();
    }
  });

  test('with a pool too small for parallel lanes, facts load after customers with checked foreign keys: same rows', async () => {
    const c = await createTestDb();
    const small = await openDatabase({ config: { databaseUrl: c.url, databasePoolSize: 2, databaseCreateIfMissing: false } });
    try {
      const checked = await generateBase({ db: small, customers: 300, seed: SEED, now: NOW });
      expect(checked).toMatchObject({ customers: 300, transactions: 3000, events: 1500, skippedForeignKeyChecks: false });
      const expected = await tableHashes(c);
      const fast = await generateBase({ db: c, customers: 300, seed: SEED, now: NOW, reset: true });
      expect(fast.skippedForeignKeyChecks).toBe(true);
      expect(await tableHashes(c)).toEqual(expected);
    } finally {
      await closeDatabase(small);
      await c.drop();
    }
  });

  test('customers carry their current consents (the reach columns audiences read), in both loading modes', async () => {
    for (const x of [a, b]) {
      const r = await one(
        x,
        `SELECT count(*)::int AS wrong, (SELECT count(*)::int FROM customers WHERE email_consent = 'SUBSCRIBED') AS subscribed FROM customers c
         WHERE c.email_consent IS DISTINCT FROM (SELECT status FROM customer_consents k WHERE k.customer_id = c.id AND k.channel = 'EMAIL')
            OR c.sms_consent IS DISTINCT FROM (SELECT status FROM customer_consents k WHERE k.customer_id = c.id AND k.channel = 'SMS')`,
      );
      expect(r.wrong).toBe(0);
      expect(r.subscribed).toBeGreaterThan(0);
    }
  });

  test('spending is skewed: the top 10% of buyers hold over 40% of revenue', async () => {
    const { rows } = await a.pool.query<{ revenue: string }>(
      `SELECT sum(amount) AS revenue FROM transactions WHERE NOT is_refunded GROUP BY customer_id ORDER BY 1 DESC`,
    );
    const revenues = rows.map((x) => Number(x.revenue));
    const total = revenues.reduce((s, v) => s + v, 0);
    const top = revenues.slice(0, Math.ceil(revenues.length / 10)).reduce((s, v) => s + v, 0);
    expect(top / total).toBeGreaterThan(0.4);
  });

  test('the base has prospects, lapsed and declining customers', async () => {
    const r = await one(
      a,
      `WITH per AS (
         SELECT c.id, max(t.occurred_at) AS last_at,
                coalesce(sum(t.amount) FILTER (WHERE t.occurred_at < $1), 0) AS before_year,
                coalesce(sum(t.amount) FILTER (WHERE t.occurred_at >= $1), 0) AS last_year
           FROM customers c LEFT JOIN transactions t ON t.customer_id = c.id GROUP BY c.id)
       SELECT avg((last_at IS NULL)::int)::float AS prospects,
              avg((last_at < $1)::int)::float AS lapsed,
              avg((last_year > 0 AND before_year > 2 * last_year)::int)::float AS declining
         FROM per`,
      [YEAR_AGO],
    );
    expect(r.prospects).toBeGreaterThanOrEqual(0.05);
    expect(r.prospects).toBeLessThanOrEqual(0.2);
    expect(r.lapsed).toBeGreaterThan(0.05);
    expect(r.declining).toBeGreaterThan(0.03);
  });

  test('customers live in nine countries with consistent time zones, several of them in the US and Canada', async () => {
    const { rows } = await a.pool.query<{ country: string; time_zone: string; n: number }>(
      `SELECT country, time_zone, count(*)::int AS n FROM customers GROUP BY 1, 2`,
    );
    expect(new Set(rows.map((x) => x.country))).toEqual(new Set(Object.keys(ZONES)));
    for (const x of rows) expect(x.time_zone, x.country).toMatch(ZONES[x.country]);
    expect(rows.filter((x) => x.country === 'US').length).toBeGreaterThanOrEqual(3);
    expect(rows.filter((x) => x.country === 'CA').length).toBeGreaterThanOrEqual(3);
    const missing = await one(
      a,
      `SELECT count(*)::int AS n FROM customers WHERE first_name IS NULL OR last_name IS NULL OR city IS NULL OR region IS NULL
          OR postal_code IS NULL OR locale IS NULL OR street_address IS NULL OR signup_channel IS NULL OR signed_up_at IS NULL
          OR household_size IS NULL OR gender IS NULL`,
    );
    expect(missing.n).toBe(0);
  });

  test('every email and phone is stored exactly as ingestion would normalise it, and is unique', async () => {
    const { rows } = await a.pool.query<{ email: string | null; phone: string | null; country: string }>(`SELECT email, phone, country FROM customers`);
    const emails = rows.flatMap((x) => (x.email ? [x.email] : []));
    const phones = rows.flatMap((x) => (x.phone ? [x.phone] : []));
    for (const x of rows) {
      if (x.email) expect(normaliseEmail(x.email)).toBe(x.email);
      if (x.phone) expect(normalisePhone(x.phone, x.country), `${x.phone} ${x.country}`).toBe(x.phone);
    }
    expect(new Set(emails).size).toBe(emails.length);
    expect(new Set(phones).size).toBe(phones.length);
    // Some customers have no email (store and app signups) or no phone; nobody has neither.
    expect(emails.length).toBeLessThan(rows.length);
    expect(phones.length).toBeLessThan(rows.length);
    expect(rows.every((x) => x.email || x.phone)).toBe(true);
  });

  test('ages are 18 to 85 and signups span about three years before now', async () => {
    const r = await one(
      a,
      `SELECT min(extract(year FROM age($1::timestamptz, birth_date::timestamptz)))::int AS youngest,
              max(extract(year FROM age($1::timestamptz, birth_date::timestamptz)))::int AS oldest,
              min(signed_up_at) AS first, max(signed_up_at) AS last
         FROM customers`,
      [NOW],
    );
    expect(r.youngest).toBeGreaterThanOrEqual(18);
    expect(r.oldest).toBeLessThanOrEqual(85);
    expect(r.first.getTime()).toBeLessThan(new Date('2023-04-01T00:00:00Z').getTime());
    expect(r.first.getTime()).toBeGreaterThan(new Date('2023-01-10T00:00:00Z').getTime());
    expect(r.last.getTime()).toBeLessThan(NOW.getTime());
  });

  test('consents have gaps, opt-outs and a history whose latest change is the current consent', async () => {
    const r = await one(
      a,
      `SELECT (SELECT count(*) FROM customers c WHERE c.email IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM customer_consents k WHERE k.customer_id = c.id AND k.channel = 'EMAIL'))::int AS never_asked_email,
              (SELECT count(*) FROM customers c WHERE c.phone IS NOT NULL
                 AND NOT EXISTS (SELECT 1 FROM customer_consents k WHERE k.customer_id = c.id AND k.channel = 'SMS'))::int AS never_asked_sms,
              (SELECT count(*) FROM customer_consents WHERE status = 'UNSUBSCRIBED' AND channel = 'EMAIL')::int AS unsub_email,
              (SELECT count(*) FROM customer_consents WHERE status = 'UNSUBSCRIBED' AND channel = 'SMS')::int AS unsub_sms,
              (SELECT count(*) FROM customer_consents WHERE status = 'SUBSCRIBED')::int AS subscribed,
              (SELECT count(*) FROM customer_consents WHERE source IS NULL OR changed_at >= $1)::int AS bad_consents,
              (SELECT count(*) FROM consent_changes WHERE NOT is_applied OR changed_at >= $1)::int AS bad_changes,
              (SELECT count(*) FROM customers c JOIN customer_consents k ON k.customer_id = c.id
                 WHERE (k.channel = 'EMAIL' AND c.email IS NULL) OR (k.channel = 'SMS' AND c.phone IS NULL))::int AS without_address`,
      [NOW],
    );
    expect(r.never_asked_email).toBeGreaterThan(0);
    expect(r.never_asked_sms).toBeGreaterThan(0);
    expect(r.unsub_email).toBeGreaterThan(0);
    expect(r.unsub_sms).toBeGreaterThan(0);
    expect(r.subscribed).toBeGreaterThan(r.unsub_email + r.unsub_sms);
    expect(r).toMatchObject({ bad_consents: 0, bad_changes: 0, without_address: 0 });
    const mismatch = await one(
      a,
      `SELECT count(*)::int AS n FROM customer_consents k
         FULL JOIN (SELECT DISTINCT ON (customer_id, channel) customer_id, channel, status, source, changed_at
                      FROM consent_changes ORDER BY customer_id, channel, changed_at DESC) h USING (customer_id, channel)
        WHERE (k.status, k.source, k.changed_at) IS DISTINCT FROM (h.status, h.source, h.changed_at)`,
    );
    expect(mismatch.n).toBe(0);
  });

  test('transactions: last two years, after signup, currency of the country, a few refunds, points for members', async () => {
    const r = await one(
      a,
      `SELECT min(t.occurred_at) AS first, max(t.occurred_at) AS last,
              count(*) FILTER (WHERE t.occurred_at < c.signed_up_at)::int AS before_signup,
              avg(t.is_refunded::int)::float AS refund_rate,
              count(DISTINCT t.category)::int AS categories,
              count(*) FILTER (WHERE t.points_earned > 0)::int AS earning,
              count(*) FILTER (WHERE t.points_redeemed > 0)::int AS redeeming,
              count(DISTINCT t.channel)::int AS channels
         FROM transactions t JOIN customers c ON c.id = t.customer_id`,
    );
    expect(r.first.getTime()).toBeGreaterThanOrEqual(TWO_YEARS_AGO.getTime() - 86_400_000);
    expect(r.last.getTime()).toBeLessThan(NOW.getTime());
    expect(r.before_signup).toBe(0);
    expect(r.refund_rate).toBeGreaterThanOrEqual(0.02);
    expect(r.refund_rate).toBeLessThanOrEqual(0.04);
    expect(r.categories).toBeGreaterThanOrEqual(8);
    expect(r.earning).toBeGreaterThan(0);
    expect(r.redeeming).toBeGreaterThan(0);
    expect(r.channels).toBe(3);
    const { rows } = await a.pool.query<{ country: string; currency: string }>(
      `SELECT DISTINCT c.country, t.currency FROM transactions t JOIN customers c ON c.id = t.customer_id`,
    );
    for (const x of rows) expect(x.currency, x.country).toBe(CURRENCIES[x.country]);
  });

  test('purchases, events and signups happen in local waking hours, not at night', async () => {
    // Daylight saving time shifts the 07:00-23:00 window by an hour at most: nothing from 01:00 to 05:59.
    const r = await one(
      a,
      `SELECT (SELECT avg((extract(hour FROM t.occurred_at AT TIME ZONE c.time_zone) BETWEEN 1 AND 5)::int)::float
                 FROM transactions t JOIN customers c ON c.id = t.customer_id) AS transactions,
              (SELECT avg((extract(hour FROM e.occurred_at AT TIME ZONE c.time_zone) BETWEEN 1 AND 5)::int)::float
                 FROM customer_events e JOIN customers c ON c.id = e.customer_id) AS events,
              (SELECT avg((extract(hour FROM signed_up_at AT TIME ZONE time_zone) BETWEEN 1 AND 5)::int)::float FROM customers) AS signups`,
    );
    expect(r).toEqual({ transactions: 0, events: 0, signups: 0 });
  });

  test('events: several names with small JSON properties over the last year', async () => {
    const { rows } = await a.pool.query<{ name: string; n: number; first: Date; last: Date; sample: Record<string, unknown> }>(
      `SELECT name, count(*)::int AS n, min(occurred_at) AS first, max(occurred_at) AS last, (array_agg(properties))[1] AS sample
         FROM customer_events GROUP BY name`,
    );
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const x of rows) {
      expect(x.first.getTime(), x.name).toBeGreaterThanOrEqual(YEAR_AGO.getTime() - 86_400_000);
      expect(x.last.getTime(), x.name).toBeLessThan(NOW.getTime());
      expect(Object.keys(x.sample).length, x.name).toBeGreaterThan(0);
    }
    const beforeSignup = await one(a, `SELECT count(*)::int AS n FROM customer_events e JOIN customers c ON c.id = e.customer_id WHERE e.occurred_at < c.signed_up_at`);
    expect(beforeSignup.n).toBe(0);
  });

  test('free attributes follow the catalogue; the sensitive one is flagged and sparse', async () => {
    const catalogue = await loadAttributeCatalogue(a);
    expect(catalogue.get('health_condition')?.isSensitive).toBe(true);
    const { rows } = await a.pool.query<{ attributes: Record<string, unknown> }>(`SELECT attributes FROM customers`);
    const seen = new Map<string, number>();
    for (const { attributes } of rows) {
      for (const [key, value] of Object.entries(attributes)) {
        expect(checkAttributeValue(catalogue.get(key), key, value), `${key}=${JSON.stringify(value)}`).toBeNull();
        seen.set(key, (seen.get(key) ?? 0) + 1);
      }
    }
    expect([...seen.keys()].sort()).toEqual(SEED_ATTRIBUTE_DEFINITIONS.map((d) => d.key).sort());
    const health = seen.get('health_condition')! / rows.length;
    expect(health).toBeGreaterThan(0);
    expect(health).toBeLessThan(0.1);
  });

  test('technographic and loyalty fields vary', async () => {
    const r = await one(
      a,
      `SELECT count(DISTINCT signup_channel)::int AS signup_channels, count(DISTINCT loyalty_tier)::int AS tiers,
              count(*) FILTER (WHERE loyalty_tier IS NULL)::int AS non_members,
              count(DISTINCT acquisition_source)::int AS acquisitions,
              count(*) FILTER (WHERE 'ios' = ANY (platforms))::int AS ios, count(*) FILTER (WHERE 'android' = ANY (platforms))::int AS android,
              count(DISTINCT preferred_channel)::int AS preferred,
              count(*) FILTER (WHERE referral_source LIKE 'c-7-%')::int AS referred_by_customers
         FROM customers`,
    );
    expect(r.signup_channels).toBe(7);
    expect(r.tiers).toBe(4);
    expect(r.non_members).toBeGreaterThan(0);
    expect(r.acquisitions).toBeGreaterThanOrEqual(6);
    expect(r.ios).toBeGreaterThan(0);
    expect(r.android).toBeGreaterThan(0);
    expect(r.preferred).toBe(2);
    expect(r.referred_by_customers).toBeGreaterThan(0);
  });
});
