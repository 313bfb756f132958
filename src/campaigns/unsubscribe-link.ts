import { createHmac, timingSafeEqual } from 'node:crypto';

/*
 * Unsubscribe links: `<public url>/u/<token>`, the token naming the campaign, the customer and the
 * channel, signed with HMAC-SHA-256 (LINK_SIGNING_SECRET) so that nobody can unsubscribe someone else
 * by editing a link. No expiry: an unsubscribe link must keep working for as long as the email exists.
 */

export interface UnsubscribeRef {
  campaignId: string;
  customerId: string;
  channel: 'EMAIL' | 'SMS';
}

const b64 = (b: Buffer) => b.toString('base64url');
/** 16 bytes of HMAC: 128 bits are beyond guessing and keep the link short in SMS-like footers. */
const MAC_BYTES = 16;

function mac(payload: string, secret: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest().subarray(0, MAC_BYTES);
}

/** The signed token of a reference. */
export function unsubscribeToken(ref: UnsubscribeRef, secret: string): string {
  const payload = `${ref.campaignId}.${ref.customerId}.${ref.channel === 'EMAIL' ? 'e' : 's'}`;
  return `${payload}.${b64(mac(payload, secret))}`;
}

/** The reference of a token, or null when it is malformed or its signature does not match. */
export function verifyUnsubscribeToken(token: string, secret: string): UnsubscribeRef | null {
  const m = /^(\d{1,18})\.(\d{1,18})\.([es])\.([A-Za-z0-9_-]+)$/.exec(token);
  if (!m) return null;
  const given = Buffer.from(m[4], 'base64url');
  const expected = mac(`${m[1]}.${m[2]}.${m[3]}`, secret);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return { campaignId: m[1], customerId: m[2], channel: m[3] === 'e' ? 'EMAIL' : 'SMS' };
}

/** The full unsubscribe URL of a reference. */
export function unsubscribeUrl(publicUrl: string, ref: UnsubscribeRef, secret: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/u/${unsubscribeToken(ref, secret)}`;
}
