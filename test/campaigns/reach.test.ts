import { describe, expect, test } from 'vitest';
import { REACH_CODES, reachCode, routeOf, routeTable, type Route, type RoutingOptions } from '../../src/campaigns/reach.js';

/*
 * Step 2 of the audience precedence from a reach code (reach.ts): table-driven cases for each branch,
 * then the routing table a campaign sends to PostgreSQL against routeOf for all 1,024 codes. The
 * audience test checks the same routes end to end against its brute-force reference.
 */

const ok = { emailConsent: true, emailPresent: true, emailBlocked: false, emailShared: false, smsConsent: true, phonePresent: true, phoneBlocked: false, phoneShared: false, preferred: null };
type Facts = Parameters<typeof reachCode>[0];
const EMAIL: RoutingOptions = { channel: 'EMAIL', isMarketing: true, content: ['EMAIL', 'SMS'], fallbackOrder: ['EMAIL', 'SMS'] };
const PREFERRED: RoutingOptions = { ...EMAIL, channel: 'PREFERRED' };
const route = (r: Partial<Route>): Route => ({ reason: null, intended: 'EMAIL', chosen: 'EMAIL', fallback: 'SMS', isShared: false, ...r });

const CASES: [string, Partial<Facts>, RoutingOptions, Route][] = [
  ['email, reachable on both: falls back to SMS', {}, EMAIL, route({})],
  ['email, no consent', { emailConsent: false }, EMAIL, route({ reason: 'NO_CONSENT', chosen: null, fallback: null })],
  ['email, consent but no address', { emailPresent: false }, EMAIL, route({ reason: 'NO_ADDRESS', chosen: null, fallback: null })],
  ['no consent comes before no address', { emailConsent: false, emailPresent: false }, EMAIL, route({ reason: 'NO_CONSENT', chosen: null, fallback: null })],
  ['email blocklisted', { emailBlocked: true }, EMAIL, route({ reason: 'BLOCKLISTED', chosen: null, fallback: null })],
  ['transactional needs no consent', { emailConsent: false, smsConsent: false }, { ...EMAIL, isMarketing: false }, route({})],
  ['email only content: no fallback', {}, { ...EMAIL, content: ['EMAIL'] }, route({ fallback: null })],
  ['SMS campaign without SMS content', {}, { ...EMAIL, channel: 'SMS', content: ['EMAIL'] }, route({ reason: 'NO_CONTENT', intended: 'SMS', chosen: null, fallback: null })],
  ['email on a shared address', { emailShared: true }, EMAIL, route({ isShared: true })],
  ['fallback on a shared phone', { phoneShared: true }, EMAIL, route({ isShared: true })],
  ['a shared phone never reached does not matter', { phoneShared: true, smsConsent: false }, EMAIL, route({ fallback: null })],
  ['preferred SMS', { preferred: 'SMS' }, PREFERRED, route({ intended: 'SMS', chosen: 'SMS', fallback: 'EMAIL' })],
  ['preferred SMS without consent: email instead', { preferred: 'SMS', smsConsent: false }, PREFERRED, route({ intended: 'SMS', chosen: 'EMAIL', fallback: null })],
  ['preferred, neither: the intended channel says why', { preferred: 'SMS', smsConsent: false, emailBlocked: true }, PREFERRED, route({ reason: 'NO_CONSENT', intended: 'SMS', chosen: null, fallback: null })],
  ['no preference: the first of the fallback order', {}, { ...PREFERRED, fallbackOrder: ['SMS', 'EMAIL'] }, route({ intended: 'SMS', chosen: 'SMS', fallback: 'EMAIL' })],
  ['preferred email without email content: SMS', { preferred: 'EMAIL' }, { ...PREFERRED, content: ['SMS'] }, route({ intended: 'SMS', chosen: 'SMS', fallback: null })],
];

describe('routeOf', () => {
  test.each(CASES)('%s', (_, facts, options, want) => {
    expect(routeOf(reachCode({ ...ok, ...facts }), options)).toEqual(want);
  });
});

describe('routeTable', () => {
  const options: RoutingOptions[] = [EMAIL, PREFERRED, { ...PREFERRED, isMarketing: false, content: ['SMS'] }, { ...EMAIL, channel: 'SMS', content: ['EMAIL', 'SMS'] }];
  test.each(options.map((o) => [`${o.channel} ${o.isMarketing ? 'marketing' : 'transactional'} ${o.content.join('+')}`, o] as const))('%s: every code routes as routeOf, in three runs', (_, o) => {
    const t = routeTable(o);
    expect(t.table).toHaveLength(REACH_CODES);
    expect(t.routes.length).toBeLessThan(256);
    for (let code = 0; code < REACH_CODES; code++) {
      const r = t.routes[t.table[code]];
      expect(r).toEqual(routeOf(code, o));
      const run = t.table[code] < t.direct ? 'direct' : t.table[code] < t.reachable ? 'shared' : 'blocked';
      expect(run).toBe(r.reason !== null ? 'blocked' : r.isShared ? 'shared' : 'direct');
    }
  });
});
