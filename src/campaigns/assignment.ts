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
 * The same bucket as a SQL expression: the digest in PostgreSQL's sha256(), folded by cible_bucket()
 * (migration 1764500000000: the 8 bytes, byte by byte, r = (r * 256 + byte) mod 10,000, which is the
 * unsigned value mod 10,000 without leaving int4).
 */
export function bucketSql(campaignIdParam: string, customerIdColumn: string, salt: BucketSalt): string {
  return `cible_bucket(sha256(convert_to(${campaignIdParam}::text || ':' || ${customerIdColumn}::text || ':${salt}', 'UTF8')))`;
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
