import { describe, expect, test } from 'vitest';
import { unsubscribeToken, unsubscribeUrl, verifyUnsubscribeToken } from '../../src/campaigns/unsubscribe-link.js';

/*
 * Unsubscribe links name a campaign, a customer and a channel, signed: a link read back gives the
 * same reference, and any edit (another customer, another channel, another key) is refused.
 */

const SECRET = 'unsubscribe-test-secret';
const REF = { campaignId: '42', customerId: '9007199254740993', channel: 'EMAIL' as const };

describe('unsubscribe links', () => {
  test('a signed token reads back as its reference, for both channels', () => {
    expect(verifyUnsubscribeToken(unsubscribeToken(REF, SECRET), SECRET)).toEqual(REF);
    const sms = { ...REF, channel: 'SMS' as const };
    expect(verifyUnsubscribeToken(unsubscribeToken(sms, SECRET), SECRET)).toEqual(sms);
  });

  test.each([
    ['another customer', (t: string) => t.replace('.9007199254740993.', '.9007199254740994.')],
    ['another campaign', (t: string) => t.replace(/^42\./, '43.')],
    ['another channel', (t: string) => t.replace('.e.', '.s.')],
    ['a truncated signature', (t: string) => t.slice(0, -2)],
    ['garbage', () => 'not-a-token'],
  ])('%s is refused', (_, edit) => {
    expect(verifyUnsubscribeToken(edit(unsubscribeToken(REF, SECRET)), SECRET)).toBeNull();
  });

  test('a token signed with another key is refused', () => {
    expect(verifyUnsubscribeToken(unsubscribeToken(REF, 'another-secret-key'), SECRET)).toBeNull();
  });

  test('the URL is the public URL (trailing slashes trimmed) + /u/ + the token', () => {
    expect(unsubscribeUrl('https://mail.example.com//', REF, SECRET)).toBe(`https://mail.example.com/u/${unsubscribeToken(REF, SECRET)}`);
  });
});
