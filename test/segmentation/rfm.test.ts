import { describe, expect, test } from 'vitest';
import { lifecycleStage, predictedClv, rfmGroup, scoreHigherIsBetter, scoreRecency, type RfmGroup } from '../../src/segmentation/rfm.js';

const NOW = new Date('2026-06-15T12:00:00Z');
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000);

describe('quintile scores from cut-points', () => {
  test.each([
    // value, cut-points, expected score (higher is better)
    [1, [1, 1, 2, 4], 1],
    [2, [1, 1, 2, 4], 3],
    [3, [1, 1, 2, 4], 4],
    [4, [1, 1, 2, 4], 4],
    [5, [1, 1, 2, 4], 5],
    [0, [10, 20, 30, 40], 1],
    [40, [10, 20, 30, 40], 4],
    [40.01, [10, 20, 30, 40], 5],
  ])('%s with cut-points %j scores %s', (value, cuts, score) => {
    expect(scoreHigherIsBetter(value, cuts)).toBe(score);
  });

  test.each([
    // days since last purchase, cut-points, expected R (fewer days is better)
    [0, [10, 30, 90, 200], 5],
    [10, [10, 30, 90, 200], 5],
    [11, [10, 30, 90, 200], 4],
    [200, [10, 30, 90, 200], 2],
    [201, [10, 30, 90, 200], 1],
  ])('recency %s with cut-points %j scores %s', (days, cuts, score) => {
    expect(scoreRecency(days, cuts)).toBe(score);
  });
});

describe('RFM groups', () => {
  test('every (R, F, M) falls in exactly one named group, and every group is reachable', () => {
    const seen = new Set<RfmGroup>();
    for (let r = 1; r <= 5; r++) for (let f = 1; f <= 5; f++) for (let m = 1; m <= 5; m++) seen.add(rfmGroup(r, f, m));
    expect([...seen].sort()).toEqual(
      ['ABOUT_TO_SLEEP', 'AT_RISK', 'CANNOT_LOSE_THEM', 'CHAMPIONS', 'HIBERNATING', 'LOST', 'LOYAL', 'NEED_ATTENTION', 'NEW', 'POTENTIAL_LOYALISTS', 'PROMISING'].sort(),
    );
  });

  test.each<[number, number, number, RfmGroup]>([
    [5, 5, 5, 'CHAMPIONS'],
    [4, 4, 3, 'CHAMPIONS'], // FM = round(3.5) = 4
    [1, 5, 4, 'CANNOT_LOSE_THEM'],
    [2, 5, 5, 'AT_RISK'],
    [1, 3, 3, 'AT_RISK'],
    [3, 3, 3, 'LOYAL'],
    [5, 1, 1, 'NEW'],
    [5, 2, 2, 'POTENTIAL_LOYALISTS'],
    [4, 1, 1, 'PROMISING'],
    [3, 2, 2, 'NEED_ATTENTION'],
    [3, 1, 1, 'ABOUT_TO_SLEEP'],
    [2, 1, 2, 'HIBERNATING'],
    [1, 1, 1, 'LOST'],
  ])('R%s F%s M%s is %s', (r, f, m, group) => {
    expect(rfmGroup(r, f, m)).toBe(group);
  });
});

describe('lifecycle stages (default thresholds: new 30 d, active 90 d, at risk 180 d, lapsed 365 d, loyal from 4 purchases)', () => {
  test.each([
    [0, null, null, 'PROSPECT'],
    [1, 30, 30, 'NEW'],
    [3, 31, 90, 'ACTIVE'],
    [4, 400, 90, 'LOYAL'],
    [5, 400, 91, 'AT_RISK'],
    [2, 400, 180, 'AT_RISK'],
    [2, 400, 181, 'LAPSED'],
    [2, 400, 365, 'LAPSED'],
    [2, 400, 366, 'LOST'],
  ])('%s purchases, first %s days ago, last %s days ago: %s', (count, first, last, stage) => {
    expect(
      lifecycleStage({ purchaseCount: count as number, firstPurchaseAt: first === null ? null : daysAgo(first as number), lastPurchaseAt: last === null ? null : daysAgo(last as number) }, NOW),
    ).toBe(stage);
  });

  test('thresholds are configurable', () => {
    const t = { newDays: 7, activeDays: 30, atRiskDays: 60, lapsedDays: 120, loyalMinPurchases: 2 };
    expect(lifecycleStage({ purchaseCount: 2, firstPurchaseAt: daysAgo(10), lastPurchaseAt: daysAgo(10) }, NOW, t)).toBe('LOYAL');
    expect(lifecycleStage({ purchaseCount: 1, firstPurchaseAt: daysAgo(100), lastPurchaseAt: daysAgo(100) }, NOW, t)).toBe('LAPSED');
  });
});

describe('predicted CLV (12 months)', () => {
  test('a steady monthly buyer who just bought is worth about a year of orders; silence lowers it', () => {
    const steady = predictedClv({ purchaseCount: 12, totalSpent: 600, firstPurchaseAt: daysAgo(365), recencyDays: 0 }, NOW)!;
    expect(steady).toBeCloseTo(600, 0);
    const quiet = predictedClv({ purchaseCount: 12, totalSpent: 600, firstPurchaseAt: daysAgo(365), recencyDays: 120 }, NOW)!;
    expect(quiet).toBeLessThan(steady * 0.05);
    expect(predictedClv({ purchaseCount: 0, totalSpent: 0, firstPurchaseAt: null, recencyDays: null }, NOW)).toBeNull();
  });
});
