/**
 * The transactions lane: each buyer's allocated purchases over their purchase window, from the
 * transactions stream.
 */

import { Allocator, CoreProfile, Kind } from './customer-core.js';
import type { Lane, Plan } from './lane.types.js';
import { Random, SortedUniforms, STREAM } from './random.js';
import { CATEGORIES, CATEGORY_CUMULATIVE } from './reference-catalogue.js';
import { SIGNUP_CHANNELS } from './reference-people.js';
import { externalId, formatCents, formatInstant, wakingHour } from './value-format.js';

/** Transaction rows, written as COPY text directly. */
export function transactionsLane(plan: Plan): Lane {
  const core = new CoreProfile();
  const r = new Random();
  const tx = new Allocator(plan.transactions, plan.txWeightSum, plan.buyers, true);
  const uniforms = new SortedUniforms();
  const { seed, nowMs } = plan;
  let number = 0;
  return {
    table: 'transactions',
    columns: ['external_id', 'customer_id', 'amount', 'currency', 'occurred_at', 'category', 'product', 'channel', 'store', 'points_earned', 'points_redeemed', 'is_refunded', 'created_at', 'updated_at'],
    counter: 'transactions',
    *lines(from, to) {
      for (let n = from; n <= to; n++) {
        core.fill(r, seed, n, nowMs);
        const k = tx.next(core.txWeight);
        if (k === 0) continue;
        r.reset(seed, n, STREAM.transactions);
        const id = plan.idBase + n;
        const { currency, priceFactor } = core.country;
        const isDeclining = core.kind === Kind.DECLINING;
        const signup = SIGNUP_CHANNELS[core.signupChannel];
        const storeShare = signup === 'STORE' ? 0.6 : 0.2;
        const appShare = core.isAppUser ? 0.35 : 0;
        const span = core.txEndMs - core.txStartMs;
        const times = uniforms.draw(r, k);
        for (let i = 0; i < k; i++) {
          // Declining customers buy on a falling density 2(1 - x), and smaller baskets as time goes.
          const x = isDeclining ? 1 - Math.sqrt(1 - times[i]) : times[i];
          const at = wakingHour(core.txStartMs + x * span, core.city.offsetMs, r.next(), core.txStartMs, core.txEndMs);
          const cat = CATEGORIES[r.chance(0.4) ? core.favouriteCategory : r.weighted(CATEGORY_CUMULATIVE)];
          const trend = isDeclining ? 1.6 - 1.2 * x : 1;
          const cents = Math.max(50, Math.round(Math.exp(cat.mu + cat.sigma * r.normal()) * core.spendScale * priceFactor * trend * 100));
          const c = r.next();
          const channel = c < storeShare ? 'store' : c < storeShare + appShare ? 'app' : 'online';
          const store = channel === 'store' ? `${core.city.name} ${r.pick(['Centre', 'Centre', 'Gare', 'Nord', 'Sud'])}` : null;
          const earned = core.isLoyaltyMember ? Math.floor(cents / 100 / priceFactor) : 0;
          const redeemed = core.isLoyaltyMember && r.chance(0.05) ? r.pick([100, 200, 500]) : 0;
          const when = formatInstant(at);
          // Written as text directly: every value comes from this file and holds no tab, newline or
          // backslash, so the generic encoder's per-value escaping (a quarter of Node's time) is moot.
          const refunded = r.chance(cat.refundRate) ? 't' : 'f';
          yield `${externalId('t', seed, ++number)}\t${id}\t${formatCents(cents)}\t${currency}\t${when}\t${cat.name}\t${r.pick(cat.products)}\t${channel}\t${store ?? '\\N'}\t${earned}\t${redeemed}\t${refunded}\t${when}\t${when}\n`;
        }
      }
    },
  };
}

