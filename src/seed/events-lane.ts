/**
 * The events lane: behavioural events with small JSON properties over the last year, from the events
 * stream, each customer with their own mix of event names.
 */

import { Allocator, CoreProfile, Kind } from './customer-core.js';
import type { Lane, Plan } from './lane.types.js';
import { Random, SortedUniforms, STREAM } from './random.js';
import { CATEGORIES, CATEGORY_CUMULATIVE, GENRES } from './reference-catalogue.js';
import { externalId, formatInstant, wakingHour } from './value-format.js';

/** One event name: its share of events and how its properties are drawn. */
interface EventRef {
  name: string;
  weight: number;
  properties: (r: Random, core: CoreProfile) => string;
}

const EVENTS: readonly EventRef[] = [
  { name: 'app_opened', weight: 30, properties: (r, c) => `{"platform":"${c.mobileOs === 1 ? 'ios' : 'android'}","session_seconds":${5 + r.int(900)}}` },
  {
    name: 'added_to_cart',
    weight: 25,
    properties: (r) => {
      const cat = CATEGORIES[r.weighted(CATEGORY_CUMULATIVE)];
      return `{"category":"${cat.name}","product":"${r.pick(cat.products)}","quantity":${1 + r.int(3)}}`;
    },
  },
  { name: 'song_favourited', weight: 12, properties: (r) => `{"song_id":"s-${1 + r.int(250_000)}","genre":"${r.pick(GENRES)}"}` },
  { name: 'review_written', weight: 5, properties: (r) => `{"category":"${CATEGORIES[r.weighted(CATEGORY_CUMULATIVE)].name}","rating":${r.chance(0.7) ? 4 + r.int(2) : 1 + r.int(3)}}` },
  { name: 'support_contacted', weight: 5, properties: (r) => `{"channel":"${r.pick(['chat', 'phone', 'email'])}","topic":"${r.pick(['delivery', 'refund', 'account', 'product', 'loyalty'])}"}` },
  { name: 'item_returned', weight: 4, properties: (r) => `{"category":"${r.pick(['fashion', 'fashion', 'fashion', 'electronics', 'home', 'sports'])}","reason":"${r.pick(['size', 'damaged', 'changed_mind', 'not_as_described'])}"}` },
  { name: 'free_shipping_used', weight: 6, properties: (r) => `{"order_value":${20 + r.int(180)}}` },
  { name: 'referral_sent', weight: 2, properties: (r) => `{"channel":"${r.pick(['email', 'sms', 'whatsapp', 'link'])}"}` },
];
const EVENT_INDEX = Object.fromEntries(EVENTS.map((e, i) => [e.name, i])) as Record<string, number>;

/** Event rows, written as COPY text directly. */
export function eventsLane(plan: Plan): Lane {
  const core = new CoreProfile();
  const r = new Random();
  const allocator = new Allocator(plan.events, plan.eventWeightSum, plan.eventPositive, false);
  const uniforms = new SortedUniforms();
  const weights = new Float64Array(EVENTS.length);
  const { seed, nowMs } = plan;
  let number = 0;
  return {
    table: 'customer_events',
    columns: ['external_id', 'customer_id', 'name', 'properties', 'occurred_at', 'created_at'],
    counter: 'events',
    *lines(from, to) {
      for (let n = from; n <= to; n++) {
        core.fill(r, seed, n, nowMs);
        const k = allocator.next(core.eventWeight);
        if (k === 0) continue;
        r.reset(seed, n, STREAM.events);
        // The customer's own event mix: no app without the app, no returns without purchases.
        let total = 0;
        for (let j = 0; j < EVENTS.length; j++) {
          let w = EVENTS[j].weight;
          if (j === EVENT_INDEX.app_opened && !core.isAppUser) w = 0;
          if (j === EVENT_INDEX.song_favourited) w *= core.isMusicFan ? 3 : 0.1;
          if ((j === EVENT_INDEX.item_returned || j === EVENT_INDEX.free_shipping_used || j === EVENT_INDEX.review_written) && core.kind === Kind.PROSPECT) w = 0;
          weights[j] = total += w;
        }
        const id = plan.idBase + n;
        const span = nowMs - 60_000 - core.eventStartMs;
        const times = uniforms.draw(r, k);
        for (let i = 0; i < k; i++) {
          const u = r.next() * total;
          let j = 0;
          while (j < EVENTS.length - 1 && u >= weights[j]) j++;
          const event = EVENTS[j];
          const when = formatInstant(wakingHour(core.eventStartMs + times[i] * span, core.city.offsetMs, r.next(), core.eventStartMs, nowMs - 60_000));
          // Direct text, as for transactions: names, JSON properties and instants need no escaping.
          yield `${externalId('e', seed, ++number)}\t${id}\t${event.name}\t${event.properties(r, core)}\t${when}\t${when}\n`;
        }
      }
    },
  };
}

