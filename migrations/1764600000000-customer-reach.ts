import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What decides whether a customer can be reached on a channel, kept on the customer's row so that an
 * audience (src/campaigns/audience-query.ts) is one pass over `customers` instead of four joins and
 * two GROUP BYs over the whole base (consents twice, the blocklist twice, shared addresses per
 * channel: ~5 s of a 1M-customer forecast here):
 *
 *   email_consent / sms_consent   customer_consents.status of the channel (NULL: no row)
 *   email_present / phone_present the address is set (generated)
 *   email_blocked / phone_blocked the normalised address is in blocked_addresses
 *   email_shared / phone_shared   another live (not erased) customer has the same address
 *
 * Statement-level triggers keep them exact in the writing transaction, whoever writes (imports, the
 * API, the sending workers, psql): consents → the consent columns; blocked_addresses → the blocked
 * flags of every customer holding the address; customers' own inserts, address changes, erasures and
 * deletes → the blocked and shared flags of the addresses involved. The flags are only written where
 * they change, so a bulk import pays one join per statement, not one update per row.
 */
/** The refresh of one channel's flags for the addresses in `list` (PL/pgSQL, in cible_refresh_address_flags). */
const addressFlags = (column: 'email' | 'phone', channel: 'EMAIL' | 'SMS', list: string) => `
        IF ${list} IS NOT NULL THEN
          SELECT array_agg(b.address) INTO blocked FROM blocked_addresses b WHERE b.channel = '${channel}' AND b.address = ANY (${list});
          SELECT array_agg(${column}) INTO shared FROM (
            SELECT ${column} FROM customers WHERE ${column} = ANY (${list}) AND erased_at IS NULL GROUP BY ${column} HAVING count(*) > 1
          ) h;
          UPDATE customers c SET ${column}_blocked = COALESCE(c.${column} = ANY (blocked), false), ${column}_shared = COALESCE(c.${column} = ANY (shared), false)
          WHERE c.${column} = ANY (${list})
            AND (c.${column}_blocked, c.${column}_shared) IS DISTINCT FROM (COALESCE(c.${column} = ANY (blocked), false), COALESCE(c.${column} = ANY (shared), false));
        END IF;`;

export class CustomerReach1764600000000 implements MigrationInterface {
  name = 'CustomerReach1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE customers
        ADD COLUMN email_consent text,
        ADD COLUMN sms_consent text,
        ADD COLUMN email_present boolean NOT NULL GENERATED ALWAYS AS (email IS NOT NULL) STORED,
        ADD COLUMN phone_present boolean NOT NULL GENERATED ALWAYS AS (phone IS NOT NULL) STORED,
        ADD COLUMN email_blocked boolean NOT NULL DEFAULT false,
        ADD COLUMN phone_blocked boolean NOT NULL DEFAULT false,
        ADD COLUMN email_shared boolean NOT NULL DEFAULT false,
        ADD COLUMN phone_shared boolean NOT NULL DEFAULT false`);
    // Holders of an address are counted through customers_email_idx / customers_phone_idx (their
    // text_pattern_ops serve equality too). The few customers an audience resolves one by one (step 3
    // of audience.ts) are found through this one.
    await q.query(`CREATE INDEX customers_shared_address_idx ON customers (id) WHERE email_shared OR phone_shared`);

    // Consents → customers.<channel>_consent.
    await q.query(`
      CREATE FUNCTION cible_sync_consents() RETURNS trigger LANGUAGE plpgsql SET plan_cache_mode = force_custom_plan AS $$
      BEGIN
        -- Customers are reached by primary key through "id = ANY (ids)": a join on the transition
        -- table (which has no statistics) made the planner scan the whole customers table.
        IF TG_OP = 'DELETE' THEN
          UPDATE customers c SET email_consent = NULL
          WHERE c.id = ANY (ARRAY(SELECT customer_id FROM old_consents WHERE channel = 'EMAIL')) AND c.email_consent IS NOT NULL;
          UPDATE customers c SET sms_consent = NULL
          WHERE c.id = ANY (ARRAY(SELECT customer_id FROM old_consents WHERE channel = 'SMS')) AND c.sms_consent IS NOT NULL;
          RETURN NULL;
        END IF;
        UPDATE customers c SET email_consent = n.status FROM new_consents n
        WHERE c.id = ANY (ARRAY(SELECT customer_id FROM new_consents WHERE channel = 'EMAIL'))
          AND n.channel = 'EMAIL' AND c.id = n.customer_id AND c.email_consent IS DISTINCT FROM n.status;
        UPDATE customers c SET sms_consent = n.status FROM new_consents n
        WHERE c.id = ANY (ARRAY(SELECT customer_id FROM new_consents WHERE channel = 'SMS'))
          AND n.channel = 'SMS' AND c.id = n.customer_id AND c.sms_consent IS DISTINCT FROM n.status;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER customer_consents_sync_ins AFTER INSERT ON customer_consents REFERENCING NEW TABLE AS new_consents FOR EACH STATEMENT EXECUTE FUNCTION cible_sync_consents()`);
    await q.query(`CREATE TRIGGER customer_consents_sync_upd AFTER UPDATE ON customer_consents REFERENCING OLD TABLE AS old_consents NEW TABLE AS new_consents FOR EACH STATEMENT EXECUTE FUNCTION cible_sync_consents()`);
    await q.query(`CREATE TRIGGER customer_consents_sync_del AFTER DELETE ON customer_consents REFERENCING OLD TABLE AS old_consents FOR EACH STATEMENT EXECUTE FUNCTION cible_sync_consents()`);

    // The flags of a set of addresses, recomputed from the source tables (only rows that change are written).
    await q.query(`
      CREATE FUNCTION cible_refresh_address_flags(emails text[], phones text[]) RETURNS void LANGUAGE plpgsql
      -- Plans made for the arrays at hand: as constants, "= ANY (array)" is hashed and the planner sees
      -- their size; a generic plan (after a few calls in one session) searched each array linearly
      -- for every row, 20,000 × 20,000 comparisons on a bulk insert.
      SET plan_cache_mode = force_custom_plan AS $$
      DECLARE
        blocked text[];
        shared text[];
      BEGIN
        -- The blocked and the shared among these addresses, then only their holders whose flags differ
        -- are written. "= ANY (addresses)" reads through the address indexes for a few addresses and
        -- hashes them for many; a join on a transition table made the planner scan all customers.
        ${addressFlags('email', 'EMAIL', 'emails')}
        ${addressFlags('phone', 'SMS', 'phones')}
      END $$`);

    // Customers' own writes: new rows and deleted rows per statement; a changed address or erasure
    // per row, and only then (a statement-level UPDATE trigger would capture every updated row, the
    // consent columns' included, on a wide and heavily indexed table). A row whose address went away
    // has its flags reset. Updates made by these triggers themselves (depth > 1) change no address.
    await q.query(`
      CREATE FUNCTION cible_sync_customer_addresses() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        emails text[];
        phones text[];
      BEGIN
        IF pg_trigger_depth() > 1 THEN RETURN NULL; END IF;
        IF TG_OP = 'INSERT' THEN
          SELECT array_agg(email) FILTER (WHERE email IS NOT NULL), array_agg(phone) FILTER (WHERE phone IS NOT NULL) INTO emails, phones FROM new_customers;
        ELSIF TG_OP = 'DELETE' THEN
          SELECT array_agg(email) FILTER (WHERE email IS NOT NULL), array_agg(phone) FILTER (WHERE phone IS NOT NULL) INTO emails, phones FROM old_customers;
        ELSE
          -- One updated row (the row-level trigger below): its old and new addresses.
          emails := array_remove(ARRAY[OLD.email, NEW.email], NULL);
          phones := array_remove(ARRAY[OLD.phone, NEW.phone], NULL);
          IF (NEW.email IS NULL AND (NEW.email_blocked OR NEW.email_shared)) OR (NEW.phone IS NULL AND (NEW.phone_blocked OR NEW.phone_shared)) THEN
            UPDATE customers SET email_blocked = email_blocked AND email IS NOT NULL, email_shared = email_shared AND email IS NOT NULL,
                                 phone_blocked = phone_blocked AND phone IS NOT NULL, phone_shared = phone_shared AND phone IS NOT NULL
            WHERE id = NEW.id;
          END IF;
        END IF;
        IF emails IS NOT NULL OR phones IS NOT NULL THEN
          PERFORM cible_refresh_address_flags(emails, phones);
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER customers_addresses_ins AFTER INSERT ON customers REFERENCING NEW TABLE AS new_customers FOR EACH STATEMENT EXECUTE FUNCTION cible_sync_customer_addresses()`);
    await q.query(`
      CREATE TRIGGER customers_addresses_upd AFTER UPDATE OF email, phone, erased_at ON customers FOR EACH ROW
      WHEN (OLD.email IS DISTINCT FROM NEW.email OR OLD.phone IS DISTINCT FROM NEW.phone OR (OLD.erased_at IS NULL) <> (NEW.erased_at IS NULL))
      EXECUTE FUNCTION cible_sync_customer_addresses()`);
    await q.query(`CREATE TRIGGER customers_addresses_del AFTER DELETE ON customers REFERENCING OLD TABLE AS old_customers FOR EACH STATEMENT EXECUTE FUNCTION cible_sync_customer_addresses()`);

    // The blocklist: every customer holding an added or removed address.
    await q.query(`
      CREATE FUNCTION cible_sync_blocklist() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        emails text[];
        phones text[];
      BEGIN
        -- Each branch names only the transition tables its event has (a statement is planned whole).
        IF TG_OP = 'INSERT' THEN
          SELECT array_agg(address) FILTER (WHERE channel = 'EMAIL'), array_agg(address) FILTER (WHERE channel = 'SMS') INTO emails, phones FROM new_blocked;
        ELSIF TG_OP = 'DELETE' THEN
          SELECT array_agg(address) FILTER (WHERE channel = 'EMAIL'), array_agg(address) FILTER (WHERE channel = 'SMS') INTO emails, phones FROM old_blocked;
        ELSE
          SELECT array_agg(address) FILTER (WHERE channel = 'EMAIL'), array_agg(address) FILTER (WHERE channel = 'SMS') INTO emails, phones
          FROM (SELECT channel, address FROM new_blocked UNION SELECT channel, address FROM old_blocked) a;
        END IF;
        PERFORM cible_refresh_address_flags(emails, phones);
        RETURN NULL;
      END $$`);
    // A trigger with transition tables takes one event, so each event has its own (one function).
    await q.query(`CREATE TRIGGER blocked_addresses_sync_ins AFTER INSERT ON blocked_addresses REFERENCING NEW TABLE AS new_blocked FOR EACH STATEMENT EXECUTE FUNCTION cible_sync_blocklist()`);
    await q.query(`CREATE TRIGGER blocked_addresses_sync_upd AFTER UPDATE ON blocked_addresses REFERENCING OLD TABLE AS old_blocked NEW TABLE AS new_blocked FOR EACH STATEMENT EXECUTE FUNCTION cible_sync_blocklist()`);
    await q.query(`CREATE TRIGGER blocked_addresses_sync_del AFTER DELETE ON blocked_addresses REFERENCING OLD TABLE AS old_blocked FOR EACH STATEMENT EXECUTE FUNCTION cible_sync_blocklist()`);

    // TRUNCATE fires no DELETE trigger: emptying either source table clears what it stood for.
    await q.query(`
      CREATE FUNCTION cible_clear_reach() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_TABLE_NAME = 'customer_consents' THEN
          UPDATE customers SET email_consent = NULL, sms_consent = NULL WHERE email_consent IS NOT NULL OR sms_consent IS NOT NULL;
        ELSE
          UPDATE customers SET email_blocked = false, phone_blocked = false WHERE email_blocked OR phone_blocked;
        END IF;
        RETURN NULL;
      END $$`);
    await q.query(`CREATE TRIGGER customer_consents_sync_truncate AFTER TRUNCATE ON customer_consents FOR EACH STATEMENT EXECUTE FUNCTION cible_clear_reach()`);
    await q.query(`CREATE TRIGGER blocked_addresses_sync_truncate AFTER TRUNCATE ON blocked_addresses FOR EACH STATEMENT EXECUTE FUNCTION cible_clear_reach()`);

    // Backfill from the source tables.
    await q.query(`
      UPDATE customers c SET email_consent = e.status FROM customer_consents e WHERE e.customer_id = c.id AND e.channel = 'EMAIL'`);
    await q.query(`
      UPDATE customers c SET sms_consent = s.status FROM customer_consents s WHERE s.customer_id = c.id AND s.channel = 'SMS'`);
    await q.query(`
      UPDATE customers c SET email_blocked = true FROM blocked_addresses b WHERE b.channel = 'EMAIL' AND b.address = c.email`);
    await q.query(`
      UPDATE customers c SET phone_blocked = true FROM blocked_addresses b WHERE b.channel = 'SMS' AND b.address = c.phone`);
    await q.query(`
      UPDATE customers c SET email_shared = true
      FROM (SELECT email FROM customers WHERE email IS NOT NULL AND erased_at IS NULL GROUP BY email HAVING count(*) > 1) s WHERE c.email = s.email`);
    await q.query(`
      UPDATE customers c SET phone_shared = true
      FROM (SELECT phone FROM customers WHERE phone IS NOT NULL AND erased_at IS NULL GROUP BY phone HAVING count(*) > 1) s WHERE c.phone = s.phone`);

    // Replaced by inline cible_bucket() draws (src/campaigns/assignment.ts): the LATERAL function call
    // per customer cost ~4 µs a row and kept the audience's aggregate out of the parallel workers.
    await q.query(`DROP FUNCTION IF EXISTS cible_draws(bigint, bigint, boolean, boolean, integer[])`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TRIGGER IF EXISTS customer_consents_sync_truncate ON customer_consents`);
    await q.query(`DROP TRIGGER IF EXISTS blocked_addresses_sync_truncate ON blocked_addresses`);
    await q.query(`DROP FUNCTION IF EXISTS cible_clear_reach()`);
    await q.query(`DROP TRIGGER IF EXISTS blocked_addresses_sync_ins ON blocked_addresses`);
    await q.query(`DROP TRIGGER IF EXISTS blocked_addresses_sync_upd ON blocked_addresses`);
    await q.query(`DROP TRIGGER IF EXISTS blocked_addresses_sync_del ON blocked_addresses`);
    await q.query(`DROP TRIGGER IF EXISTS customers_addresses_ins ON customers`);
    await q.query(`DROP TRIGGER IF EXISTS customers_addresses_upd ON customers`);
    await q.query(`DROP TRIGGER IF EXISTS customers_addresses_del ON customers`);
    await q.query(`DROP TRIGGER IF EXISTS customer_consents_sync_ins ON customer_consents`);
    await q.query(`DROP TRIGGER IF EXISTS customer_consents_sync_upd ON customer_consents`);
    await q.query(`DROP TRIGGER IF EXISTS customer_consents_sync_del ON customer_consents`);
    await q.query(`DROP FUNCTION IF EXISTS cible_sync_blocklist()`);
    await q.query(`DROP FUNCTION IF EXISTS cible_sync_customer_addresses()`);
    await q.query(`DROP FUNCTION IF EXISTS cible_refresh_address_flags(text[], text[])`);
    await q.query(`DROP FUNCTION IF EXISTS cible_sync_consents()`);
    await q.query(`DROP INDEX IF EXISTS customers_shared_address_idx`);
    await q.query(`
      ALTER TABLE customers
        DROP COLUMN email_consent, DROP COLUMN sms_consent, DROP COLUMN email_present, DROP COLUMN phone_present,
        DROP COLUMN email_blocked, DROP COLUMN phone_blocked, DROP COLUMN email_shared, DROP COLUMN phone_shared`);
  }
}
