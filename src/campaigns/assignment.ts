import { createHash } from 'node:crypto';

/*
 * Deterministic assignment of customers to the hold-out group and to variants, identical in SQL and
 * in TypeScript: bucket = the first 8 bytes of SHA-256("<campaignId>:<customerId>:<salt>") read as an
 * unsigned 64-bit integer, mod 10,000. A re-run, a retry or the forecast computes the same buckets,
 * so nobody moves between groups; the salts keep the hold-out draw independent of the variant draw.
 */

export const BUCKETS = 10_000;
export type BucketSalt = 'holdout' | 'variant';

/** The customer's bucket (0 … 9,999) for a campaign and a draw. */
export function bucketOf(campaignId: string, customerId: string, salt: BucketSalt): number {
  const digest = createHash('sha256').update(`${campaignId}:${customerId}:${salt}`).digest();
  return Number(digest.readBigUInt64BE(0) % BigInt(BUCKETS));
}

/**
 * The same bucket in SQL, as a LATERAL that computes the digest once per row (`<alias>.bucket`).
 * PostgreSQL has no unsigned 64-bit type: the 8 bytes are read as a signed bigint `s`, and for a
 * negative `s` the unsigned value is s + 2^64, whose remainder is ((s % m) + m + (2^64 mod m)) % m,
 * with 2^64 mod 10,000 = 1,616 (every term stays within bigint).
 */
export function bucketLateral(alias: string, campaignIdParam: string, customerIdColumn: string, salt: BucketSalt): string {
  const s = `('x' || encode(substring(sha256(convert_to(${campaignIdParam}::text || ':' || ${customerIdColumn}::text || ':${salt}', 'UTF8')) FROM 1 FOR 8), 'hex'))::bit(64)::bigint`;
  return `CROSS JOIN LATERAL (SELECT ((h.s % ${BUCKETS}) + ${BUCKETS} + CASE WHEN h.s < 0 THEN 1616 ELSE 0 END)::int % ${BUCKETS} AS bucket FROM (SELECT ${s} AS s) h) ${alias}`;
}

/** Variant boundaries on the bucket scale: variant i takes buckets [bounds[i-1], bounds[i]). */
export function variantBounds(weights: readonly number[]): number[] {
  const total = weights.reduce((a, b) => a + b, 0);
  let sum = 0;
  return weights.map((w) => {
    sum += w;
    return Math.floor((BUCKETS * sum) / total);
  });
}

/** The variant (index) a bucket falls in. */
export function variantOf(bucket: number, bounds: readonly number[]): number {
  const i = bounds.findIndex((b) => bucket < b);
  return i === -1 ? bounds.length - 1 : i;
}

/** Whether a customer with this hold-out bucket is in the control group (`basisPoints` of 10,000). */
export const isHeldOut = (holdoutBucket: number, basisPoints: number) => holdoutBucket < basisPoints;
