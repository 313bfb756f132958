/**
 * The customer-value rules, as pure functions of their inputs and `now`. The SQL of the metrics
 * refresh (sql/metrics.sql) applies the same rules set-wise; tests check both agree on random data.
 */

export type LifecycleStage = 'PROSPECT' | 'NEW' | 'LOYAL' | 'ACTIVE' | 'AT_RISK' | 'LAPSED' | 'LOST';

export type RfmGroup =
  | 'CHAMPIONS'
  | 'LOYAL'
  | 'POTENTIAL_LOYALISTS'
  | 'NEW'
  | 'PROMISING'
  | 'NEED_ATTENTION'
  | 'ABOUT_TO_SLEEP'
  | 'AT_RISK'
  | 'CANNOT_LOSE_THEM'
  | 'HIBERNATING'
  | 'LOST';

/** Lifecycle thresholds in days (and the purchases that make an active customer loyal). */
export interface LifecycleThresholds {
  newDays: number;
  activeDays: number;
  atRiskDays: number;
  lapsedDays: number;
  loyalMinPurchases: number;
}

export const DEFAULT_LIFECYCLE: LifecycleThresholds = { newDays: 30, activeDays: 90, atRiskDays: 180, lapsedDays: 365, loyalMinPurchases: 4 };

/**
 * Quintile score of a "higher is better" value (frequency, monetary): 1 + the number of cut-points
 * strictly below it. Cut-points are the 20/40/60/80th percentiles of buyers (percentile_disc), so
 * equal values always share a score: with 55% one-time buyers, frequency 1 is score 1 for all of them
 * and score 2 is empty. 5 = above the 80th percentile.
 */
export function scoreHigherIsBetter(value: number, cuts: readonly number[]): number {
  let s = 1;
  for (const c of cuts) if (value > c) s++;
  return s;
}

/** Quintile score of recency (fewer days is better): 5 - the number of cut-points strictly below it. */
export function scoreRecency(days: number, cuts: readonly number[]): number {
  let s = 5;
  for (const c of cuts) if (days > c) s--;
  return s;
}

/**
 * The named RFM group of a customer from R and FM = round((F + M) / 2), first matching row wins:
 *
 * | group               | R     | FM    |
 * |---------------------|-------|-------|
 * | CHAMPIONS           | 4–5   | 4–5   |
 * | CANNOT_LOSE_THEM    | 1     | 4–5   |
 * | AT_RISK             | 1–2   | 3–5   |
 * | LOYAL               | 3–5   | 3–5   |
 * | NEW                 | 5     | 1     |
 * | POTENTIAL_LOYALISTS | 4–5   | 2     |
 * | PROMISING           | 4     | 1     |
 * | NEED_ATTENTION      | 3     | 2     |
 * | ABOUT_TO_SLEEP      | 3     | 1     |
 * | HIBERNATING         | 2     | 1–2   |
 * | LOST                | 1     | 1–2   |
 *
 * Every (R, FM) pair falls in exactly one group.
 */
export function rfmGroup(r: number, f: number, m: number): RfmGroup {
  const fm = Math.round((f + m) / 2);
  if (r >= 4 && fm >= 4) return 'CHAMPIONS';
  if (r <= 1 && fm >= 4) return 'CANNOT_LOSE_THEM';
  if (r <= 2 && fm >= 3) return 'AT_RISK';
  if (r >= 3 && fm >= 3) return 'LOYAL';
  if (r === 5 && fm === 1) return 'NEW';
  if (r >= 4 && fm === 2) return 'POTENTIAL_LOYALISTS';
  if (r === 4 && fm === 1) return 'PROMISING';
  if (r === 3 && fm === 2) return 'NEED_ATTENTION';
  if (r === 3 && fm === 1) return 'ABOUT_TO_SLEEP';
  if (r === 2) return 'HIBERNATING';
  return 'LOST';
}

/** Lifecycle stage from purchases and their dates, first matching rule wins (see DEFAULT_LIFECYCLE). */
export function lifecycleStage(
  m: { purchaseCount: number; firstPurchaseAt: Date | null; lastPurchaseAt: Date | null },
  now: Date,
  t: LifecycleThresholds = DEFAULT_LIFECYCLE,
): LifecycleStage {
  if (m.purchaseCount === 0 || !m.lastPurchaseAt || !m.firstPurchaseAt) return 'PROSPECT';
  const days = (d: Date) => (now.getTime() - d.getTime()) / 86_400_000;
  if (days(m.firstPurchaseAt) <= t.newDays) return 'NEW';
  const since = days(m.lastPurchaseAt);
  if (since <= t.activeDays) return m.purchaseCount >= t.loyalMinPurchases ? 'LOYAL' : 'ACTIVE';
  if (since <= t.atRiskDays) return 'AT_RISK';
  if (since <= t.lapsedDays) return 'LAPSED';
  return 'LOST';
}

/**
 * Predicted value over the next 12 months, a transparent heuristic rather than a fitted model:
 * average order value × yearly purchase rate × probability the customer is still buying.
 * - yearly rate = purchases × 365 / tenure, tenure = days since the first purchase, at least 30;
 * - P(still buying) = exp(−recency / expected gap), expected gap = 365 / yearly rate, at least 30 days.
 * A customer whose silence is long compared with their usual rhythm is worth less.
 */
export function predictedClv(m: { purchaseCount: number; totalSpent: number; firstPurchaseAt: Date | null; recencyDays: number | null }, now: Date): number | null {
  if (m.purchaseCount === 0 || !m.firstPurchaseAt || m.recencyDays === null) return null;
  const tenure = Math.max((now.getTime() - m.firstPurchaseAt.getTime()) / 86_400_000, 30);
  const rate = (m.purchaseCount * 365) / tenure;
  const gap = Math.max(365 / rate, 30);
  const aov = m.totalSpent / m.purchaseCount;
  return Math.round(aov * rate * Math.exp(-m.recencyDays / gap) * 100) / 100;
}
