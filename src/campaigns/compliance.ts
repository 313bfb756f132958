/*
 * What every marketing message must carry, as pure text transformations: an unsubscribe link and the
 * one-click unsubscribe headers in emails (RFC 2369, RFC 8058: Gmail and Yahoo require both of bulk
 * senders), the opt-out keyword in SMS. Transactional messages carry none of them; `render-message.ts`
 * decides which applies.
 */

/**
 * The List-Unsubscribe headers of a marketing email. `List-Unsubscribe-Post` tells mailbox providers
 * they may unsubscribe with a single POST to the url, without the customer visiting the page (RFC 8058).
 */
export function listUnsubscribeHeaders(url: string): Record<string, string> {
  return {
    'List-Unsubscribe': `<${url}>`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}

const ATTRIBUTE_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeAttribute(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ATTRIBUTE_ESCAPES[c]);
}

/**
 * True when an HTML body already has the url. A template's `{{ unsubscribe_url }}` comes out
 * HTML-escaped, its `&` as `&amp;`, so that form counts too.
 */
function htmlHasUrl(html: string, url: string): boolean {
  return html.includes(url) || html.includes(url.replaceAll('&', '&amp;'));
}

function appendHtmlFooter(html: string, url: string): string {
  const footer = `<p style="font-size:12px;color:#666666"><a href="${escapeAttribute(url)}">Unsubscribe</a></p>`;
  const bodyEnd = html.toLowerCase().lastIndexOf('</body>');
  return bodyEnd < 0 ? `${html}\n${footer}` : `${html.slice(0, bodyEnd)}${footer}\n${html.slice(bodyEnd)}`;
}

/**
 * Adds a visible unsubscribe link to each part of an email that does not link to `url` already (the
 * template may place `{{ unsubscribe_url }}` itself). In HTML it goes just before `</body>`, or at the
 * end when there is none; in text, on its own line at the end. An empty part stays empty: a footer
 * alone is no message, and the sender leaves an empty part out.
 */
export function withUnsubscribeFooter(body: { html: string; text: string }, url: string): { html: string; text: string } {
  const html = body.html === '' || htmlHasUrl(body.html, url) ? body.html : appendHtmlFooter(body.html, url);
  const text = body.text === '' || body.text.includes(url) ? body.text : `${body.text.trimEnd()}\n\nUnsubscribe: ${url}`;
  return { html, text };
}

// STOP as a whole word: not followed or preceded by a letter or digit of any script ("STOPPED" is not one).
const OPT_OUT_KEYWORD = /(?<![\p{L}\p{N}])stop(?![\p{L}\p{N}])/iu;

/**
 * Adds the opt-out instruction to a marketing SMS unless the body already has one (the word STOP,
 * whole, in any case). Joined with a newline to a body of several lines, with a space otherwise. An
 * empty body stays empty, as with the email footer.
 */
export function withOptOutWording(body: string, wording = 'STOP to opt out'): string {
  if (OPT_OUT_KEYWORD.test(body)) return body;
  const trimmed = body.trimEnd();
  if (trimmed === '') return body;
  return `${trimmed}${trimmed.includes('\n') ? '\n' : ' '}${wording}`;
}
