import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUCKETS, bucketOf, bucketSql, isHeldOut, variantBounds, variantOf, type BucketSalt } from '../../src/campaigns/assignment.js';
import { createTestDb, type TestDb } from '../support/databases.js';
import { rng } from '../support/random.js';

/*
 * Hold-out and variant buckets: the SQL expression the audience query uses gives exactly the TypeScript
 * bucket (so the forecast, a run and a preview put everyone in the same group), for ids across the
 * whole bigint range; buckets spread evenly; variant weights become the shares asked for; and the
 * hold-out draw does not depend on the variant draw. Every population here is fixed, so each bound
 * is checked against the same numbers on every run: nothing can flake.
 */

const SALTS: BucketSalt[] = ['holdout', 'variant'];
const TWO_53 = 2n ** 53n;
const MAX_BIGINT = 2n ** 63n - 1n;

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.drop();
});

/** A random id below 2^63 with a random number of digits (1 to 19), so every length shows up. */
function randomId(r: () => number): bigint {
  const digits = 1 + Math.floor(r() * 19);
  let s = String(1 + Math.floor(r() * 9));
  while (s.length < digits) s += String(Math.floor(r() * 10));
  const v = BigInt(s);
  return v > MAX_BIGINT ? MAX_BIGINT - BigInt(Math.floor(r() * 1e6)) : v;
}

/** 20,000 (campaign, customer) pairs: short and 18–19 digit campaign ids; small, near-2^53, 63-bit and random-length customer ids. */
function pairs(): { campaign: string; customer: string }[] {
  const r = rng(20260329);
  const campaigns = ['1', '2', '10', '999', '4294967296', '9007199254740991', '9007199254740993', '123456789012345678', '999999999999999999', '9223372036854775807'];
  const out: { campaign: string; customer: string }[] = [];
  for (let i = 0; i < 20_000; i++) {
    const campaign = i % 5 === 4 ? String(randomId(r)) : campaigns[i % campaigns.length];
    let customer: bigint;
    switch (i % 4) {
      case 0:
        customer = BigInt(i + 1);
        break;
      case 1:
        customer = TWO_53 - 100n + BigInt(i % 200); // both sides of 2^53, where a Number would round
        break;
      case 2:
        customer = BigInt(Math.floor(r() * 2 ** 31)) * 2n ** 32n + BigInt(Math.floor(r() * 2 ** 32)); // anywhere below 2^63
        break;
      default:
        customer = randomId(r);
    }
    out.push({ campaign, customer: String(customer === 0n ? 1n : customer) });
  }
  return out;
}

/** Pearson's chi-square of bucket counts over `bins` equal bins. */
function chiSquare(buckets: readonly number[], bins: number): number {
  const counts = new Array<number>(bins).fill(0);
  for (const b of buckets) counts[Math.floor((b * bins) / BUCKETS)]++;
  const expected = buckets.length / bins;
  return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
}

describe('SQL and TypeScript agree', () => {
  test('cible_bucket(sha256(...)) gives bucketOf for 20,000 pairs, both salts, ids up to 2^63 − 1', async () => {
    const list = pairs();
    const { rows } = await db.pool.query<{ i: string; holdout: number; variant: number }>(
      `SELECT t.i, ${bucketSql('t.campaign_id', 't.customer_id', 'holdout')} AS holdout, ${bucketSql('t.campaign_id', 't.customer_id', 'variant')} AS variant
       FROM unnest($1::bigint[], $2::bigint[]) WITH ORDINALITY AS t (campaign_id, customer_id, i)
       ORDER BY t.i`,
      [list.map((p) => p.campaign), list.map((p) => p.customer)],
    );
    expect(rows).toHaveLength(list.length);
    const differences: string[] = [];
    rows.forEach((row, k) => {
      const { campaign, customer } = list[k];
      for (const salt of SALTS) {
        const ts = bucketOf(campaign, customer, salt);
        if (row[salt] !== ts) differences.push(`${campaign}:${customer}:${salt} SQL ${row[salt]} TS ${ts}`);
      }
    });
    expect(differences.slice(0, 10), `${differences.length} differences`).toEqual([]);
    expect(rows.every((row) => row.holdout >= 0 && row.holdout < BUCKETS && row.variant >= 0 && row.variant < BUCKETS)).toBe(true);
    // About half the digests have the top bit set: the SQL reads those as negative bigints and corrects them.
    const negative = list.filter((p) => createHash('sha256').update(`${p.campaign}:${p.customer}:holdout`).digest()[0] >= 0x80).length;
    expect(negative).toBeGreaterThan(9000);
    expect(negative).toBeLessThan(11_000);
  });

  test('the SQL campaign id may be a bigint parameter, as the audience query passes it', async () => {
    const customers = ['1', '511', String(TWO_53 + 1n), String(MAX_BIGINT)];
    const { rows } = await db.pool.query<{ customer_id: string; bucket: number }>(
      `SELECT t.customer_id::text, ${bucketSql('$1::bigint', 't.customer_id', 'holdout')} AS bucket FROM unnest($2::bigint[]) AS t (customer_id)
       ORDER BY t.customer_id`,
      ['9223372036854775807', customers],
    );
    expect(rows.map((r) => r.bucket)).toEqual(customers.map((c) => bucketOf('9223372036854775807', c, 'holdout')));
  });

  // Computed outside Node (sha256sum, first 8 bytes as an unsigned integer, mod 10,000): a change of
  // the hashed text or the reading of the digest would move existing customers between groups.
  test.each([
    ['1', '1', 'holdout', 1052],
    ['1', '1', 'variant', 3087],
    ['9223372036854775807', '9007199254740993', 'holdout', 4203],
    ['123456789012345678', '9007199254740992', 'variant', 4998],
  ] as const)('bucketOf(%s, %s, %s) is %i, as on every past run', (campaign, customer, salt, bucket) => {
    expect(bucketOf(campaign, customer, salt)).toBe(bucket);
  });
});

describe('distribution', () => {
  const customers = Array.from({ length: 20_000 }, (_, i) => String(i + 1)); // consecutive ids: the usual base

  test.each(SALTS)('%s buckets of 20,000 consecutive customers spread evenly', (salt) => {
    const buckets = customers.map((c) => bucketOf('31337', c, salt));
    // Per decile: 2,000 expected, binomial sd √(20,000 · 0.1 · 0.9) ≈ 42; six sd either side.
    const deciles = new Array<number>(10).fill(0);
    for (const b of buckets) deciles[Math.floor(b / 1000)]++;
    for (const d of deciles) expect(Math.abs(d - 2000)).toBeLessThan(6 * Math.sqrt(20_000 * 0.1 * 0.9));
    // 100 bins, 99 degrees of freedom: mean 99, sd √198 ≈ 14; six sd above the mean.
    expect(chiSquare(buckets, 100)).toBeLessThan(99 + 6 * Math.sqrt(2 * 99));
    // A 1% hold-out takes about 1% (200 ± 6 sd).
    const held = buckets.filter((b) => isHeldOut(b, 100)).length;
    expect(Math.abs(held - 200)).toBeLessThan(6 * Math.sqrt(20_000 * 0.01 * 0.99));
  });
});

describe('variants', () => {
  test.each([
    [[1, 1], [5000, 10_000], [5000, 5000]],
    [[1, 2, 7], [1000, 3000, 10_000], [1000, 2000, 7000]],
    [[3], [10_000], [10_000]],
    [[1, 1, 1], [3333, 6666, 10_000], [3333, 3333, 3334]],
  ])('weights %j: bounds %j, buckets per variant %j', (weights, bounds, perVariant) => {
    expect(variantBounds(weights)).toEqual(bounds);
    const counts = weights.map(() => 0);
    for (let b = 0; b < BUCKETS; b++) counts[variantOf(b, variantBounds(weights))]++;
    expect(counts).toEqual(perVariant);
  });

  test.each([[[1, 1]], [[1, 2, 7]], [[3]]])('weights %j: 30,000 customers split in proportion', (weights) => {
    const n = 30_000;
    const bounds = variantBounds(weights);
    const total = weights.reduce((a, b) => a + b, 0);
    const counts = weights.map(() => 0);
    for (let i = 1; i <= n; i++) counts[variantOf(bucketOf('8080', String(i), 'variant'), bounds)]++;
    weights.forEach((w, i) => {
      const p = w / total;
      expect(Math.abs(counts[i] - n * p)).toBeLessThanOrEqual(5 * Math.sqrt(n * p * (1 - p)));
    });
  });
});

describe('independent draws', () => {
  const n = 40_000;
  const campaign = '424242';
  const holdout = 1000; // 10%
  const bounds = variantBounds([1, 2, 7]);

  function heldShareByVariant(variantSalt: BucketSalt): { n: number; held: number }[] {
    const out = bounds.map(() => ({ n: 0, held: 0 }));
    for (let i = 1; i <= n; i++) {
      const id = String(i);
      const g = out[variantOf(bucketOf(campaign, id, variantSalt), bounds)];
      g.n++;
      if (isHeldOut(bucketOf(campaign, id, 'holdout'), holdout)) g.held++;
    }
    return out;
  }

  test('the held-out share is the campaign’s in every variant (10% ± 5 binomial sd)', () => {
    const groups = heldShareByVariant('variant');
    for (const g of groups) {
      expect(g.n).toBeGreaterThan(3000);
      expect(Math.abs(g.held / g.n - 0.1)).toBeLessThanOrEqual(5 * Math.sqrt((0.1 * 0.9) / g.n));
    }
  });

  test('with one salt for both draws the control group would be one variant (what the salts prevent)', () => {
    const groups = heldShareByVariant('holdout');
    // Variant 0 takes buckets [0, 1000): exactly the hold-out buckets.
    expect(groups.map((g) => g.held / g.n)).toEqual([1, 0, 0]);
  });
});
