import { afterAll, beforeAll, expect, test } from 'vitest';
import { createTestDb, type TestDb } from '../support/databases.js';
import { rng } from '../support/random.js';
import { reachCode } from '../../src/campaigns/reach.js';

/*
 * The reach columns of customers (migration 1764600000000: consent per channel, blocked and shared
 * address flags) are kept by triggers. After every step of a random mix of writes (bulk inserts
 * sharing addresses, address changes, erasures, deletes, consent upserts and deletes, blocklist
 * additions, upserts and removals), each column equals what the source tables say; and emptying a
 * source table with TRUNCATE (which fires no DELETE trigger) clears what it stood for. The generated
 * reach code (migration 1764800000000) is checked at every step against reach.ts's reachCode.
 */

let db: TestDb;
beforeAll(async () => {
  db = await createTestDb();
});
afterAll(async () => {
  await db?.drop();
});

/** Rows whose stored reach differs from the source tables (with what it should be). */
async function drift(): Promise<unknown[]> {
  const { rows } = await db.pool.query(
    // Set-based (joins and window counts): correlated subqueries made this check quadratic whenever
    // the planner's statistics lagged behind a bulk insert.
    `WITH live AS (
       SELECT id,
              CASE WHEN erased_at IS NULL AND email IS NOT NULL THEN count(*) FILTER (WHERE erased_at IS NULL) OVER (PARTITION BY email) END AS email_holders,
              CASE WHEN erased_at IS NULL AND phone IS NOT NULL THEN count(*) FILTER (WHERE erased_at IS NULL) OVER (PARTITION BY phone) END AS phone_holders
       FROM customers
     ),
     truth AS (
       SELECT c.id, ce.status AS email_consent, cs.status AS sms_consent,
              be.address IS NOT NULL AS email_blocked, bs.address IS NOT NULL AS phone_blocked,
              COALESCE(l.email_holders > 1, false) AS email_shared, COALESCE(l.phone_holders > 1, false) AS phone_shared
       FROM customers c
       JOIN live l ON l.id = c.id
       LEFT JOIN customer_consents ce ON ce.customer_id = c.id AND ce.channel = 'EMAIL'
       LEFT JOIN customer_consents cs ON cs.customer_id = c.id AND cs.channel = 'SMS'
       LEFT JOIN blocked_addresses be ON be.channel = 'EMAIL' AND be.address = c.email
       LEFT JOIN blocked_addresses bs ON bs.channel = 'SMS' AND bs.address = c.phone
     )
     SELECT t.*, c.email_consent AS s_email_consent, c.sms_consent AS s_sms_consent, c.email_blocked AS s_email_blocked,
            c.phone_blocked AS s_phone_blocked, c.email_shared AS s_email_shared, c.phone_shared AS s_phone_shared
     FROM truth t JOIN customers c ON c.id = t.id
     -- Erased customers are never in an audience: only their consent columns must hold.
     WHERE (t.email_consent, t.sms_consent) IS DISTINCT FROM (c.email_consent, c.sms_consent)
        OR (c.erased_at IS NULL AND (t.email_blocked, t.phone_blocked, t.email_shared, t.phone_shared)
              IS DISTINCT FROM (c.email_blocked, c.phone_blocked, c.email_shared, c.phone_shared))`,
  );
  return rows;
}

/** Customers whose reach code (generated) is not the code of their own columns, as reach.ts spells it. */
async function codeDrift(): Promise<unknown[]> {
  const { rows } = await db.pool.query<{ id: string; reach: number; emailConsent: string | null; smsConsent: string | null; email: string | null; phone: string | null; emailBlocked: boolean; phoneBlocked: boolean; emailShared: boolean; phoneShared: boolean; preferred: 'EMAIL' | 'SMS' | null }>(
    `SELECT id, reach, email_consent AS "emailConsent", sms_consent AS "smsConsent", email, phone, email_blocked AS "emailBlocked", phone_blocked AS "phoneBlocked",
            email_shared AS "emailShared", phone_shared AS "phoneShared", preferred_channel AS preferred FROM customers`,
  );
  return rows.filter(
    (c) =>
      c.reach !==
      reachCode({
        emailConsent: c.emailConsent === 'SUBSCRIBED',
        emailPresent: c.email !== null,
        emailBlocked: c.emailBlocked,
        emailShared: c.emailShared,
        smsConsent: c.smsConsent === 'SUBSCRIBED',
        phonePresent: c.phone !== null,
        phoneBlocked: c.phoneBlocked,
        phoneShared: c.phoneShared,
        preferred: c.preferred,
      }),
  );
}

test('the reach columns equal the source tables after every step of 300 random writes', async () => {
  const r = rng(20261123);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)];
  const emails = Array.from({ length: 12 }, (_, i) => `p${i}@example.test`);
  const phones = Array.from({ length: 10 }, (_, i) => `+3361234560${i}`);
  const maybe = <T>(xs: readonly T[]) => (r() < 0.2 ? null : pick(xs));
  let external = 0;
  const ids = async () => (await db.pool.query<{ id: string }>(`SELECT id FROM customers`)).rows.map((x) => x.id);

  const steps: Record<string, () => Promise<unknown>> = {
    insertMany: async () => {
      const n = 1 + Math.floor(r() * 6);
      const rows = Array.from({ length: n }, () => [`x${external++}`, maybe(emails), maybe(phones)]);
      return db.pool.query(`INSERT INTO customers (external_id, email, phone) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])`, [
        rows.map((x) => x[0]),
        rows.map((x) => x[1]),
        rows.map((x) => x[2]),
      ]);
    },
    changeAddresses: async () => {
      const some = (await ids()).filter(() => r() < 0.3);
      return db.pool.query(`UPDATE customers SET email = CASE WHEN random() < 0.5 THEN $2 ELSE email END, phone = $3 WHERE id = ANY ($1::bigint[])`, [
        some,
        maybe(emails),
        maybe(phones),
      ]);
    },
    prefer: async () => db.pool.query(`UPDATE customers SET preferred_channel = $2 WHERE id = $1`, [pick(await ids()), pick(['EMAIL', 'SMS', null])]),
    erase: async () => db.pool.query(`UPDATE customers SET erased_at = now() WHERE id = $1`, [pick(await ids())]),
    unerase: async () => db.pool.query(`UPDATE customers SET erased_at = NULL WHERE id = $1`, [pick(await ids())]),
    remove: async () => db.pool.query(`DELETE FROM customers WHERE id = $1`, [pick(await ids())]),
    upsertConsents: async () => {
      const some = (await ids()).filter(() => r() < 0.4);
      return db.pool.query(
        `INSERT INTO customer_consents (customer_id, channel, status, changed_at)
         SELECT id, ch, $2, now() FROM unnest($1::bigint[]) AS id, unnest(ARRAY['EMAIL', 'SMS']) AS ch WHERE random() < 0.7
         ON CONFLICT (customer_id, channel) DO UPDATE SET status = EXCLUDED.status`,
        [some, pick(['SUBSCRIBED', 'UNSUBSCRIBED', 'NEVER_ASKED'])],
      );
    },
    deleteConsents: async () => db.pool.query(`DELETE FROM customer_consents WHERE customer_id = $1`, [pick(await ids())]),
    block: async () =>
      db.pool.query(
        `INSERT INTO blocked_addresses (channel, address, reason) VALUES ('EMAIL', $1, 'HARD_BOUNCE'), ('SMS', $2, 'STOP')
         ON CONFLICT (channel, address) DO UPDATE SET reason = EXCLUDED.reason`,
        [pick(emails), pick(phones)],
      ),
    unblock: async () => db.pool.query(`DELETE FROM blocked_addresses WHERE address = ANY ($1::text[])`, [[pick(emails), pick(phones)]]),
  };
  const names = Object.keys(steps);
  for (let i = 0; i < 300; i++) {
    const name = i < 5 ? 'insertMany' : pick(names);
    if ((await ids()).length === 0 && name !== 'insertMany') continue;
    await steps[name]();
    const wrong = await drift();
    expect({ step: i, name, wrong }).toEqual({ step: i, name, wrong: [] });
    expect({ step: i, name, wrongCode: await codeDrift() }).toEqual({ step: i, name, wrongCode: [] });
  }
  // The run met shared, blocked and consented customers on both channels.
  const { rows } = await db.pool.query(
    `SELECT bool_or(email_shared) AND bool_or(phone_shared) AND bool_or(email_blocked) AND bool_or(phone_blocked) AS all_seen FROM customers WHERE erased_at IS NULL`,
  );
  expect(rows[0].all_seen).toBe(true);
});

test('TRUNCATE of the blocklist or of the consents clears the flags and consent columns they set', async () => {
  await db.pool.query(`INSERT INTO customers (external_id, email, phone) VALUES ('t1', 't@example.test', '+33611111111'), ('t2', 't@example.test', NULL)`);
  await db.pool.query(`INSERT INTO customer_consents (customer_id, channel, status, changed_at) SELECT id, 'EMAIL', 'SUBSCRIBED', now() FROM customers WHERE external_id IN ('t1', 't2')`);
  await db.pool.query(`INSERT INTO blocked_addresses (channel, address, reason) VALUES ('EMAIL', 't@example.test', 'COMPLAINT'), ('SMS', '+33611111111', 'STOP') ON CONFLICT DO NOTHING`);
  const flags = async () =>
    (await db.pool.query(`SELECT email_blocked, phone_blocked, email_consent FROM customers WHERE external_id = 't1'`)).rows[0];
  expect(await flags()).toEqual({ email_blocked: true, phone_blocked: true, email_consent: 'SUBSCRIBED' });
  await db.pool.query(`TRUNCATE blocked_addresses`);
  expect(await drift()).toEqual([]);
  await db.pool.query(`TRUNCATE customer_consents`);
  expect(await drift()).toEqual([]);
  expect(await flags()).toEqual({ email_blocked: false, phone_blocked: false, email_consent: null });
});

test('a bulk import of 20,000 customers on 5,000 shared addresses marks exactly the shared ones', async () => {
  await db.pool.query(`TRUNCATE customers CASCADE`);
  await db.pool.query(
    `INSERT INTO customers (external_id, email, phone)
     SELECT 'bulk' || g, 'a' || (g % 25000) || '@example.test', CASE WHEN g % 3 = 0 THEN '+33700' || (g % 7919) END FROM generate_series(1, 20000) g`,
  );
  expect(await drift()).toEqual([]);
  const { rows } = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM customers WHERE email_shared`);
  expect(rows[0].n).toBe(0);
  await db.pool.query(`INSERT INTO customers (external_id, email) SELECT 'dup' || g, 'a' || g || '@example.test' FROM generate_series(1, 5000) g`);
  expect(await drift()).toEqual([]);
  const shared = await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM customers WHERE email_shared`);
  expect(shared.rows[0].n).toBe(10_000);
});
