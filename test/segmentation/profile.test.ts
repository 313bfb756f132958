import { afterAll, beforeAll, expect, test } from 'vitest';
import { PROFILE_DIMENSIONS, PROFILE_METRICS, profileSegment } from '../../src/segmentation/profile.js';
import { createTestDb, type TestDb } from '../support/databases.js';
import { rng } from '../support/random.js';

/*
 * segmentProfile against a straightforward in-memory computation on a random base: means and
 * medians (customers without a value left out), revenue, reachability, engagement, and every
 * distribution with its top N and the rest, with ages on the band boundaries.
 */

const NOW = new Date('2026-06-15T12:00:00.000Z');
const TODAY = '2026-06-15';

interface Cust {
  id: number;
  country: string | null;
  city: string | null;
  gender: string | null;
  signup_channel: string | null;
  birth_date: string | null;
  email: string | null;
  emailConsent: string | null;
  metrics: Record<string, number | string | null> | null;
}

let db: TestDb;
const base: Cust[] = [];

/** A birth date `years` years before TODAY, shifted by `days` (0: the birthday is today). */
function born(years: number, days: number): string {
  const d = new Date(Date.UTC(2026 - years, 5, 15));
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

function ageBand(birth: string | null): string | null {
  if (!birth) return null;
  const [y, m, d] = birth.split('-').map(Number);
  let age = 2026 - y;
  if (m > 6 || (m === 6 && d > 15)) age--;
  if (age < 18) return 'UNDER_18';
  if (age < 25) return '18_24';
  if (age < 35) return '25_34';
  if (age < 45) return '35_44';
  if (age < 55) return '45_54';
  if (age < 65) return '55_64';
  return '65_PLUS';
}

function median(values: number[]): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  const m = (s.length - 1) / 2;
  return (s[Math.floor(m)] + s[Math.ceil(m)]) / 2;
}
const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);

beforeAll(async () => {
  db = await createTestDb();
  const r = rng(11);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
  for (let i = 1; i <= 90; i++) {
    const buyer = r() < 0.7;
    const c: Cust = {
      id: i,
      country: pick(['FR', 'FR', 'FR', 'DE', 'ES', 'IT', null]),
      city: pick(['Paris', 'Lyon', 'Berlin', 'Nantes', null]),
      gender: pick(['FEMALE', 'MALE', 'NON_BINARY', null]),
      signup_channel: pick(['WEB', 'APP', 'STORE', null]),
      birth_date: r() < 0.2 ? null : born(pick([17, 18, 24, 25, 34, 35, 64, 65, 40]), pick([-1, 0, 1])),
      email: r() < 0.8 ? `c${i}@example.com` : null,
      emailConsent: pick(['SUBSCRIBED', 'UNSUBSCRIBED', null]),
      metrics:
        r() < 0.9
          ? {
              total_spent: buyer ? pick([10, 55.5, 120, 999.99]) : 0,
              purchase_count: buyer ? pick([1, 2, 7]) : 0,
              recency_days: buyer ? pick([0, 30, 400]) : null,
              clv_predicted: buyer ? pick([0, 12.34, 250]) : null,
              average_order_value: buyer ? pick([10, 40]) : null,
              spend_last_90d: buyer ? pick([0, 20]) : 0,
              lifecycle_stage: buyer ? pick(['NEW', 'ACTIVE', 'LOST']) : 'PROSPECT',
              rfm_group: buyer ? pick(['CHAMPIONS', 'AT_RISK', 'LOST']) : null,
              value_tier: buyer ? pick([1, 3, 5]) : null,
              messages_received_30d: pick([0, 2, 4]),
              messages_opened_30d: pick([0, 1]),
              messages_clicked_30d: pick([0, 1]),
              messages_received_90d: pick([4, 6]),
              messages_converted_90d: pick([0, 1]),
            }
          : null,
    };
    base.push(c);
    await db.pool.query(
      `INSERT INTO customers (id, external_id, country, city, gender, signup_channel, birth_date, email) OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
      [c.id, `p-${i}`, c.country, c.city, c.gender, c.signup_channel, c.birth_date, c.email],
    );
    if (c.emailConsent)
      await db.pool.query(`INSERT INTO customer_consents (customer_id, channel, status, changed_at) VALUES ($1, 'EMAIL', $2, $3)`, [c.id, c.emailConsent, NOW]);
    if (c.metrics) {
      const keys = Object.keys(c.metrics);
      await db.pool.query(
        `INSERT INTO customer_metrics (customer_id, ${keys.join(', ')}, computed_at) VALUES ($1, ${keys.map((_, k) => `$${k + 2}`).join(', ')}, $${keys.length + 2})`,
        [c.id, ...Object.values(c.metrics), NOW],
      );
    }
  }
  // An erased customer is outside the base: never counted.
  await db.pool.query(`INSERT INTO customers (id, external_id, country, erased_at) OVERRIDING SYSTEM VALUE VALUES (1000, 'gone', 'FR', $1)`, [NOW]);
});
afterAll(async () => {
  await db?.drop();
});

test('a segment’s profile equals the same figures computed by hand', async () => {
  const topN = 2;
  const p = await profileSegment({ db, root: { condition: { field: 'customer.country', operator: 'EQ', value: { string: 'FR' } } }, now: NOW, limits: { maxDepth: 8 }, topN });
  const seg = base.filter((c) => c.country === 'FR');
  expect(p.size).toBe(seg.length);
  expect(p.baseSize).toBe(base.length);

  const values = (list: Cust[], m: string) => list.flatMap((c) => (c.metrics && c.metrics[m] !== null ? [Number(c.metrics[m])] : []));
  for (const metric of PROFILE_METRICS) {
    const got = p.metrics.find((x) => x.metric === metric)!;
    expect(got.mean, metric).toBeCloseTo(mean(values(seg, metric))!, 9);
    expect(got.median, metric).toBeCloseTo(median(values(seg, metric))!, 9);
    expect(got.baseMean, metric).toBeCloseTo(mean(values(base, metric))!, 9);
    expect(got.baseMedian, metric).toBeCloseTo(median(values(base, metric))!, 9);
  }
  const sum = (list: Cust[], m: string) => values(list, m).reduce((a, b) => a + b, 0);
  expect(p.revenue).toBeCloseTo(sum(seg, 'total_spent'), 6);
  expect(p.baseRevenue).toBeCloseTo(sum(base, 'total_spent'), 6);
  expect(p.revenueLast90d).toBeCloseTo(sum(seg, 'spend_last_90d'), 6);
  expect(p.predictedClv).toBeCloseTo(sum(seg, 'clv_predicted'), 6);

  const reachable = (c: Cust) => c.emailConsent === 'SUBSCRIBED' && c.email !== null;
  expect(p.reach.find((x) => x.channel === 'EMAIL')).toEqual({ channel: 'EMAIL', count: seg.filter(reachable).length, baseCount: base.filter(reachable).length });
  expect(p.reach.find((x) => x.channel === 'SMS')).toEqual({ channel: 'SMS', count: 0, baseCount: 0 });
  expect(p.engagement).toEqual({
    received30d: sum(seg, 'messages_received_30d'),
    opened30d: sum(seg, 'messages_opened_30d'),
    clicked30d: sum(seg, 'messages_clicked_30d'),
    received90d: sum(seg, 'messages_received_90d'),
    converted90d: sum(seg, 'messages_converted_90d'),
  });

  const valueOf = (c: Cust, d: (typeof PROFILE_DIMENSIONS)[number]): string | null => {
    if (d === 'age_band') return ageBand(c.birth_date);
    if (d === 'lifecycle_stage' || d === 'rfm_group' || d === 'value_tier') return c.metrics?.[d] == null ? null : String(c.metrics[d]);
    return c[d];
  };
  for (const d of PROFILE_DIMENSIONS) {
    const dist = p.distributions.find((x) => x.dimension === d)!;
    const counts = new Map<string | null, { count: number; baseCount: number }>();
    for (const c of base) {
      const v = valueOf(c, d);
      const e = counts.get(v) ?? { count: 0, baseCount: 0 };
      e.baseCount++;
      if (c.country === 'FR') e.count++;
      counts.set(v, e);
    }
    // Top N by segment count, then base count; ties broken by value (unknown last).
    const ranked = [...counts.entries()].sort(
      ([va, a], [vb, b]) => b.count - a.count || b.baseCount - a.baseCount || (va === null ? 1 : vb === null ? -1 : va < vb ? -1 : va > vb ? 1 : 0),
    );
    const top = ranked.slice(0, topN).map(([value, e]) => ({ value, ...e }));
    expect(dist.buckets, d).toEqual(top);
    const rest = ranked.slice(topN);
    expect(dist.restCount, d).toBe(rest.reduce((a, [, e]) => a + e.count, 0));
    expect(dist.restBaseCount, d).toBe(rest.reduce((a, [, e]) => a + e.baseCount, 0));
  }
  // The age bands met their boundaries.
  expect(new Set(base.map((c) => ageBand(c.birth_date)))).toEqual(new Set(['UNDER_18', '18_24', '25_34', '35_44', '55_64', '65_PLUS', null]));
});
