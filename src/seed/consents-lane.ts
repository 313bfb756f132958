/**
 * The consent lanes: current consents and their history, both drawn from the consent stream so that the
 * latest change of a history is the current consent.
 */

import { encodeCopyRow } from '../db/copy.js';
import { Consent, CoreProfile } from './customer-core.js';
import type { Lane, Plan } from './lane.types.js';
import { Random, STREAM } from './random.js';
import { CONSENT_SOURCES, SIGNUP_CHANNELS } from './reference-people.js';
import { formatInstant } from './value-format.js';

/** One change of a channel's consent. */
interface ConsentChange {
  channel: 'EMAIL' | 'SMS';
  status: 'SUBSCRIBED' | 'UNSUBSCRIBED';
  source: string;
  atMs: number;
}

/** A channel's consent history, oldest first; its last change is the current consent. */
function consentHistory(core: CoreProfile, r: Random, nowMs: number, channel: 'EMAIL' | 'SMS', state: Consent, out: ConsentChange[]): void {
  if (state === Consent.NONE) return;
  // Signups are a day old at least, so these stay strictly increasing and before now.
  const atSignup = core.signupMs + 1000 * (5 + r.int(600));
  const later = (afterMs: number) => afterMs + 1000 + Math.floor(r.next() * Math.max(0, nowMs - 120_000 - afterMs));
  const signupSource = CONSENT_SOURCES[SIGNUP_CHANNELS[core.signupChannel]];
  const optOutSource = channel === 'EMAIL' ? r.pick(['unsubscribe_link', 'unsubscribe_link', 'list_unsubscribe', 'preference_centre']) : r.pick(['sms_stop', 'sms_stop', 'preference_centre']);
  const u = r.next();
  if (state === Consent.SUBSCRIBED) {
    if (u < 0.8) out.push({ channel, status: 'SUBSCRIBED', source: signupSource, atMs: atSignup });
    else if (u < 0.95) out.push({ channel, status: 'SUBSCRIBED', source: r.pick(['checkout', 'preference_centre', 'newsletter_popup']), atMs: later(atSignup) });
    else {
      // Opted in, out, then back in again: the history shows all three.
      const out1 = later(atSignup);
      out.push({ channel, status: 'SUBSCRIBED', source: signupSource, atMs: atSignup });
      out.push({ channel, status: 'UNSUBSCRIBED', source: optOutSource, atMs: out1 });
      out.push({ channel, status: 'SUBSCRIBED', source: 'preference_centre', atMs: later(out1 + 1000) });
    }
  } else if (u < 0.7) {
    out.push({ channel, status: 'SUBSCRIBED', source: signupSource, atMs: atSignup });
    out.push({ channel, status: 'UNSUBSCRIBED', source: optOutSource, atMs: later(atSignup + 1000) });
  } else {
    out.push({ channel, status: 'UNSUBSCRIBED', source: signupSource, atMs: atSignup });
  }
}

/** Consents or their history: both lanes draw the same histories from the consent stream. */
export function consentLane(plan: Plan, history: boolean): Lane {
  const core = new CoreProfile();
  const r = new Random();
  const changes: ConsentChange[] = [];
  const { seed, nowMs } = plan;
  return {
    table: history ? 'consent_changes' : 'customer_consents',
    columns: history
      ? ['customer_id', 'channel', 'status', 'source', 'changed_at', 'recorded_at', 'is_applied']
      : ['customer_id', 'channel', 'status', 'source', 'changed_at', 'recorded_at'],
    counter: history ? 'consentChanges' : 'consents',
    *lines(from, to) {
      for (let n = from; n <= to; n++) {
        core.fill(r, seed, n, nowMs);
        if (core.emailConsent === Consent.NONE && core.smsConsent === Consent.NONE) continue;
        r.reset(seed, n, STREAM.consents);
        changes.length = 0;
        consentHistory(core, r, nowMs, 'EMAIL', core.emailConsent, changes);
        const emailCount = changes.length;
        consentHistory(core, r, nowMs, 'SMS', core.smsConsent, changes);
        const id = plan.idBase + n;
        for (let i = 0; i < changes.length; i++) {
          const c = changes[i];
          const isCurrent = i === emailCount - 1 || i === changes.length - 1;
          if (!history && !isCurrent) continue;
          const at = formatInstant(c.atMs);
          yield encodeCopyRow(history ? [id, c.channel, c.status, c.source, at, at, true] : [id, c.channel, c.status, c.source, at, at]);
        }
      }
    },
  };
}

