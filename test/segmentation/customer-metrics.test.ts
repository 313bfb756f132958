import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { recordTransactions, upsertCustomers } from '../../src/ingestion/bulk-write.js';
import { loadCutPoints, refreshAllMetrics, refreshChangedMetrics, type CutPoints } from '../../src/segmentation/customer-metrics.js';
import { DEFAULT_LIFECYCLE, lifecycleStage, predictedClv, rfmGroup, scoreHigherIsBetter, scoreRecency } from '../../src/segmentation/rfm.js';
import { createTestDb, type TestDb } from '../support/databases.js';
import { rng } from '../support/random.js';

/*
 * The SQL refresh against a straightforward in-memory computation of the same rules (rfm.ts) on a
 * random base, with purchases placed exactly on the window and threshold boundaries.
 */

const NOW = new Date('2026-06-15T12:00:00.000Z');
const DAY = 86_400_000;

interface Tx {
  externalId: string;
  customerExternalId: string;
  amount: number;
  occurredAt: Date;
  refunded: boolean;
}

let db: TestDb;
const txs: Tx[] = [];
const customers: string[] = [];

function percentileDisc(sorted: number[], p: number): number {
  return sorted[Math.max(Math.ceil(p * sorted.length), 1) - 1];
}

function expectedFor(ids: string[], all: Tx[], cuts: CutPoints | null) {
  const out = new Map<string, Record<string, unknown>>();
  const agg = new Map<string, { count: number; refunded: number; spent: number; first: Date | null; last: Date | null; s90: number; sPrev: number }>();
  for (const id of ids) agg.set(id, { count: 0, refunded: 0, spent: 0, first: null, last: null, s90: 0, sPrev: 0 });
  for (const t of all) {
    const a = agg.get(t.customerExternalId);
    if (!a || t.occurredAt > NOW) continue;
    if (t.refunded) {
      a.refunded++;
      continue;
    }
    a.count++;
    a.spent = Math.round((a.spent + t.amount) * 100) / 100;
    if (!a.first || t.occurredAt < a.first) a.first = t.occurredAt;
    if (!a.last || t.occurredAt > a.last) a.last = t.occurredAt;
    const age = NOW.getTime() - t.occurredAt.getTime();
    if (age < 90 * DAY) a.s90 = Math.round((a.s90 + t.amount) * 100) / 100;
    else if (age < 180 * DAY) a.sPrev = Math.round((a.sPrev + t.amount) * 100) / 100;
  }
  const recency = (a: { last: Date | null }) => (a.last ? Math.floor((NOW.getTime() - a.last.getTime()) / DAY) : null);
  let c: Omit<CutPoints, 'clvPredicted'> | null = cuts;
  if (!c) {
    const buyers = [...agg.values()].filter((a) => a.count > 0);
    const q = (vals: number[]) => {
      const s = [...vals].sort((x, y) => x - y);
      return [0.2, 0.4, 0.6, 0.8].map((p) => percentileDisc(s, p));
    };
    c = { recencyDays: q(buyers.map((a) => recency(a)!)), purchaseCount: q(buyers.map((a) => a.count)), totalSpent: q(buyers.map((a) => a.spent)), buyers: buyers.length };
  }
  for (const [id, a] of agg) {
    const rec = recency(a);
    const r = rec === null ? null : scoreRecency(rec, c.recencyDays);
    const f = rec === null ? null : scoreHigherIsBetter(a.count, c.purchaseCount);
    const m = rec === null ? null : scoreHigherIsBetter(a.spent, c.totalSpent);
    out.set(id, {
      purchaseCount: a.count,
      refundedCount: a.refunded,
      totalSpent: a.spent,
      recencyDays: rec,
      spendLast90d: a.s90,
      spendPrev90d: a.sPrev,
      r,
      f,
      m,
      rfmGroup: r === null ? null : rfmGroup(r, f!, m!),
      lifecycleStage: lifecycleStage({ purchaseCount: a.count, firstPurchaseAt: a.first, lastPurchaseAt: a.last }, NOW),
      clvPredicted: predictedClv({ purchaseCount: a.count, totalSpent: a.spent, firstPurchaseAt: a.first, recencyDays: rec }, NOW),
    });
  }
  return { expected: out, cuts: c };
}

async function actual(ids: string[]) {
  const { rows } = await db.pool.query(
    `SELECT c.external_id, m.* FROM customer_metrics m JOIN customers c ON c.id = m.customer_id WHERE c.external_id = ANY($1)`,
    [ids],
  );
  return new Map(
    rows.map((r) => [
      r.external_id as string,
      {
        purchaseCount: r.purchase_count,
        refundedCount: r.refunded_count,
        totalSpent: Number(r.total_spent),
        recencyDays: r.recency_days,
        spendLast90d: Number(r.spend_last_90d),
        spendPrev90d: Number(r.spend_prev_90d),
        r: r.r_score,
        f: r.f_score,
        m: r.m_score,
        rfmGroup: r.rfm_group,
        lifecycleStage: r.lifecycle_stage,
        clvPredicted: r.clv_predicted === null ? null : Number(r.clv_predicted),
        valueTier: r.value_tier,
      },
    ]),
  );
}

/**
 * Value tiers rest on predicted CLV, which SQL computes in float8 and JS in doubles with another
 * operation order (a cent apart at most, checked above): they are checked against the CLVs stored by
 * SQL, so that a value on a cut-point cannot flip between the two.
 */
function expectValueTiers(got: Map<string, Record<string, unknown>>, clvCuts: number[]) {
  for (const [id, have] of got) {
    const clv = have.clvPredicted as number | null;
    expect(have.valueTier, id).toBe(clv === null ? null : scoreHigherIsBetter(clv, clvCuts));
  }
}

function clvCutPoints(got: Map<string, Record<string, unknown>>): number[] {
  const clvs = [...got.values()].map((v) => v.clvPredicted).filter((v): v is number => v !== null).sort((a, b) => a - b);
  return [0.2, 0.4, 0.6, 0.8].map((p) => percentileDisc(clvs, p));
}

function compare(expected: Map<string, Record<string, unknown>>, got: Map<string, Record<string, unknown>>) {
  expect(got.size).toBe(expected.size);
  for (const [id, want] of expected) {
    const have = got.get(id)!;
    const { clvPredicted: wantClv, ...wantRest } = want;
    const { clvPredicted: haveClv, valueTier: _tier, ...haveRest } = have;
    expect(haveRest, id).toEqual(wantRest);
    if (wantClv === null) expect(haveClv, id).toBeNull();
    else expect(Math.abs((haveClv as number) - (wantClv as number)), `${id} clv ${haveClv} vs ${wantClv}`).toBeLessThanOrEqual(0.011);
  }
}

beforeAll(async () => {
  db = await createTestDb();
  const rand = rng(42);
  // Ages in days that sit on the boundaries the rules use, plus random ones.
  const boundaries = [0, 1, 29, 30, 31, 89, 90, 91, 179, 180, 181, 364, 365, 366, 700];
  const rows = [];
  for (let i = 0; i < 160; i++) {
    const id = `m-${i}`;
    customers.push(id);
    rows.push({ externalId: id });
    const n = i % 7 === 0 ? 0 : Math.floor(rand() * rand() * 9); // many 0s and 1s: heavy ties
    for (let k = 0; k < n; k++) {
      const age = rand() < 0.4 ? boundaries[Math.floor(rand() * boundaries.length)] * DAY : Math.floor(rand() * 720 * DAY);
      txs.push({
        externalId: `${id}-t${k}`,
        customerExternalId: id,
        amount: rand() < 0.3 ? 50 : Math.round(rand() * 30000) / 100,
        occurredAt: new Date(NOW.getTime() - age),
        refunded: rand() < 0.08,
      });
    }
  }
  await upsertCustomers({ db, rows, now: NOW, maxRows: 10_000 });
  const r = await recordTransactions({
    db,
    now: NOW,
    maxRows: 10_000,
    rows: txs.map((t) => ({ ...t, occurredAt: t.occurredAt.toISOString(), currency: 'EUR' })),
  });
  expect(r.rejectedRows).toBe(0);
});
afterAll(async () => {
  await db?.drop();
});

describe('full refresh', () => {
  test('every customer gets exactly the metrics the rules give, prospects included', async () => {
    const outcome = await refreshAllMetrics({ db, now: NOW });
    expect(outcome.customers).toBe(customers.length);
    const { expected, cuts } = expectedFor(customers, txs, null);
    const got = await actual(customers);
    expect(outcome.cutPoints).toEqual({ ...cuts, clvPredicted: clvCutPoints(got) });
    compare(expected, got);
    expectValueTiers(got, outcome.cutPoints!.clvPredicted);
    const tiers = [...got.values()].map((v) => v.valueTier);
    for (const t of [1, 2, 3, 4, 5]) expect(tiers, `tier ${t}`).toContain(t);
    // The fixture exercises ties and every lifecycle stage worth having.
    const stages = new Set([...expected.values()].map((e) => e.lifecycleStage));
    for (const s of ['PROSPECT', 'NEW', 'ACTIVE', 'AT_RISK', 'LAPSED', 'LOST']) expect(stages, s).toContain(s);
    expect(new Set([...expected.values()].map((e) => e.rfmGroup)).size).toBeGreaterThanOrEqual(6);
    // Frequency is heavily tied (many one-time buyers): equal counts always share a score.
    const fByCount = new Map<number, Set<unknown>>();
    for (const e of expected.values()) if (e.f !== null) fByCount.set(e.purchaseCount as number, (fByCount.get(e.purchaseCount as number) ?? new Set()).add(e.f));
    for (const [count, scores] of fByCount) expect(scores.size, `purchase count ${count}`).toBe(1);
    expect(fByCount.get(1)!.size).toBe(1);
  });

  test('a second full refresh swaps again cleanly and stores the cut-points', async () => {
    await refreshAllMetrics({ db, now: NOW });
    const stored = await loadCutPoints(db.pool);
    expect(stored).toEqual({ ...expectedFor(customers, txs, null).cuts, clvPredicted: clvCutPoints(await actual(customers)) });
    const { rows } = await db.pool.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'customer_metrics' ORDER BY 1`);
    expect(rows.map((r) => r.indexname)).toEqual(['customer_metrics_pkey']);
  });
});

describe('incremental refresh', () => {
  test('recomputes only the customers whose purchases changed (and new ones), against the stored cut-points', async () => {
    await refreshAllMetrics({ db, now: NOW });
    const cuts = (await loadCutPoints(db.pool))!;
    const before = await actual(customers);
    const extra: Tx[] = [
      { externalId: 'm-0-new', customerExternalId: 'm-0', amount: 99, occurredAt: new Date(NOW.getTime() - 2 * DAY), refunded: false },
      { externalId: 'm-1-new', customerExternalId: 'm-1', amount: 1234.5, occurredAt: new Date(NOW.getTime() - 400 * DAY), refunded: false },
    ];
    await upsertCustomers({ db, rows: [{ externalId: 'm-new' }], now: NOW, maxRows: 10 });
    await recordTransactions({ db, now: NOW, maxRows: 10, rows: extra.map((t) => ({ ...t, occurredAt: t.occurredAt.toISOString(), currency: 'EUR' })) });
    txs.push(...extra);
    const outcome = await refreshChangedMetrics({ db, now: NOW });
    expect(outcome).toMatchObject({ kind: 'INCREMENTAL', customers: 3 });
    const changed = ['m-0', 'm-1', 'm-new'];
    const got = await actual(changed);
    compare(expectedFor(changed, txs, cuts).expected, got);
    expectValueTiers(got, cuts.clvPredicted);
    const after = await actual(customers);
    for (const id of customers.filter((c) => !changed.includes(c))) expect(after.get(id), id).toEqual(before.get(id));
    // Nothing left to do.
    expect((await refreshChangedMetrics({ db, now: NOW })).customers).toBe(0);
  });
});
