import { describe, expect, test } from 'vitest';
import { listUnsubscribeHeaders, withOptOutWording, withUnsubscribeFooter } from '../../src/campaigns/compliance.js';
import { renderMessage, type MessageContent } from '../../src/campaigns/render-message.js';
import { templateScope } from '../../src/campaigns/templates.js';

/*
 * The message one customer receives: templates rendered per channel, and the compliance additions of
 * marketing messages (unsubscribe link and one-click headers in email, opt-out wording in SMS), never
 * doubled when the template already has them, never added to transactional messages.
 */

const URL = 'https://cible.test/u/abc?c=42&t=9f';
const scope = templateScope({
  customer: { firstName: '<b>Ana</b>', timeZone: 'Europe/Paris' },
  attributes: {},
  metrics: { totalSpent: 120 },
  campaign: { name: 'Spring sale' },
  unsubscribeUrl: URL,
});

const email = (category: 'MARKETING' | 'TRANSACTIONAL', content: MessageContent, unsubscribeUrl: string | null = URL) =>
  renderMessage({ channel: 'EMAIL', category, content, scope, unsubscribeUrl });
const sms = (category: 'MARKETING' | 'TRANSACTIONAL', smsBody: string, optOutWording?: string) =>
  renderMessage({ channel: 'SMS', category, content: { smsBody }, scope, unsubscribeUrl: null, optOutWording });

describe('email', () => {
  const content = {
    emailSubject: '{{ first_name }}, {{ campaign.name }}',
    emailHtml: '<html><body><p>Hi {{ first_name }}</p></body></html>',
    emailText: 'Hi {{ first_name }}',
  };

  test('a marketing email escapes the HTML body only, and carries the unsubscribe link and headers', () => {
    expect(email('MARKETING', content)).toEqual({
      channel: 'EMAIL',
      subject: '<b>Ana</b>, Spring sale',
      html: '<html><body><p>Hi &lt;b&gt;Ana&lt;/b&gt;</p><p style="font-size:12px;color:#666666"><a href="https://cible.test/u/abc?c=42&amp;t=9f">Unsubscribe</a></p>\n</body></html>',
      text: `Hi <b>Ana</b>\n\nUnsubscribe: ${URL}`,
      headers: { 'List-Unsubscribe': `<${URL}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
  });

  test('a transactional email has no unsubscribe link or headers', () => {
    const out = email('TRANSACTIONAL', content, null);
    expect(out).toEqual({ channel: 'EMAIL', subject: '<b>Ana</b>, Spring sale', html: '<html><body><p>Hi &lt;b&gt;Ana&lt;/b&gt;</p></body></html>', text: 'Hi <b>Ana</b>', headers: {} });
  });

  test('the link is not added twice when the template places it', () => {
    const out = email('MARKETING', {
      emailSubject: 'News',
      emailHtml: '<body><a href="{{ unsubscribe_url }}">Se désabonner</a></body>',
      emailText: 'Se désabonner : {{ unsubscribe_url }}',
    });
    expect(out.html).toBe('<body><a href="https://cible.test/u/abc?c=42&amp;t=9f">Se désabonner</a></body>');
    expect(out.text).toBe(`Se désabonner : ${URL}`);
    expect(out.headers['List-Unsubscribe']).toBe(`<${URL}>`);
  });

  test('the subject is one line, whatever the template or the data', () => {
    const out = email('TRANSACTIONAL', { emailSubject: 'Your order\n  {{ campaign.name }}\n', emailText: 'x' });
    expect(out.subject).toBe('Your order Spring sale');
  });

  test('a missing part stays empty instead of holding only a footer', () => {
    const out = email('MARKETING', { emailSubject: 'Hi', emailHtml: '<p>Hi</p>', emailText: null });
    expect([out.html, out.text]).toEqual([`<p>Hi</p>\n<p style="font-size:12px;color:#666666"><a href="https://cible.test/u/abc?c=42&amp;t=9f">Unsubscribe</a></p>`, '']);
  });

  test('a marketing email without an unsubscribe link is refused', () => {
    expect(() => email('MARKETING', content, null)).toThrow(expect.objectContaining({ reason: 'UNSUBSCRIBE_URL_REQUIRED' }));
  });
});

describe('sms', () => {
  test.each([
    ['marketing gets the opt-out wording', 'MARKETING', 'Hi {{ first_name }}: -20% today', 'Hi <b>Ana</b>: -20% today STOP to opt out'],
    ['on its own line after a body of several lines', 'MARKETING', 'Hi!\n-20% today\n', 'Hi!\n-20% today\nSTOP to opt out'],
    ['not when the body says STOP already', 'MARKETING', '-20% today. Reply STOP to unsubscribe', '-20% today. Reply STOP to unsubscribe'],
    ['not when it says stop in lower case', 'MARKETING', '-20%. Text stop to 36111', '-20%. Text stop to 36111'],
    ['a word that only contains STOP is no opt-out', 'MARKETING', 'Non-STOPPING deals', 'Non-STOPPING deals STOP to opt out'],
    ['transactional gets none', 'TRANSACTIONAL', 'Your code is 123456', 'Your code is 123456'],
  ])('%s', (_name, category, smsBody, body) => {
    const out = sms(category as 'MARKETING' | 'TRANSACTIONAL', smsBody);
    expect(out.body).toBe(body);
  });

  test('custom wording, in the local language', () => {
    const out = sms('MARKETING', 'Soldes -20%', 'STOP au 36111');
    expect(out.body).toBe('Soldes -20% STOP au 36111');
  });

  test('parts are counted on the body as sent, opt-out wording included', () => {
    // 150 letters fit one part; with " STOP to opt out" (16) the message needs two.
    const out = sms('MARKETING', 'a'.repeat(150));
    expect(out.sms).toEqual({ characters: 166, encoding: 'GSM_7', parts: 2 });
  });

  test('a customer value outside GSM 03.38 switches the message to UCS-2', () => {
    const out = renderMessage({
      channel: 'SMS',
      category: 'TRANSACTIONAL',
      content: { smsBody: 'Bonjour {{ city }}' },
      scope: templateScope({ customer: { city: 'Besançon' }, attributes: {}, metrics: null, campaign: { name: 'x' }, unsubscribeUrl: null }),
      unsubscribeUrl: null,
    });
    expect(out.sms).toEqual({ characters: 16, encoding: 'UCS_2', parts: 1 });
  });
});

describe('compliance helpers', () => {
  test('List-Unsubscribe headers follow RFC 8058', () => {
    expect(listUnsubscribeHeaders(URL)).toEqual({ 'List-Unsubscribe': `<${URL}>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' });
  });

  test.each([
    ['before </body>', '<HTML><BODY>Hi</BODY></HTML>', '<HTML><BODY>Hi<p style="font-size:12px;color:#666666"><a href="https://x.test/u?a=1&amp;b=&quot;2&quot;">Unsubscribe</a></p>\n</BODY></HTML>'],
    ['at the end of a fragment', '<p>Hi</p>', '<p>Hi</p>\n<p style="font-size:12px;color:#666666"><a href="https://x.test/u?a=1&amp;b=&quot;2&quot;">Unsubscribe</a></p>'],
  ])('the HTML footer goes %s, its url attribute-escaped', (_name, html, expected) => {
    expect(withUnsubscribeFooter({ html, text: '' }, 'https://x.test/u?a=1&b="2"').html).toBe(expected);
  });

  test('the text footer goes on its own line', () => {
    expect(withUnsubscribeFooter({ html: '', text: 'Hi\n\n' }, URL).text).toBe(`Hi\n\nUnsubscribe: ${URL}`);
  });

  test.each([
    ['', ''],
    ['Hi', 'Hi STOP to opt out'],
    ['Hi ', 'Hi STOP to opt out'],
    ['STOP: 36111', 'STOP: 36111'],
    ['Arrêt: envoyez Stop', 'Arrêt: envoyez Stop'],
    ['Unstoppable', 'Unstoppable STOP to opt out'],
  ])('opt-out wording for %j', (body, expected) => {
    expect(withOptOutWording(body)).toBe(expected);
  });
});
