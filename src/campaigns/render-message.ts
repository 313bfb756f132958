import { badInput } from '../errors.js';
import { listUnsubscribeHeaders, withOptOutWording, withUnsubscribeFooter } from './compliance.js';
import type { Channel, MessageCategory } from './contact-policy.js';
import { describeSms, type SmsDescription } from './sms-encoding.js';
import { renderTemplate, type TemplateScope } from './templates.js';

/*
 * The one place a campaign's content becomes the message one customer gets: templates rendered (HTML
 * escaped in the HTML body only), then the compliance additions of marketing messages. The sender and
 * the preview both call `renderMessage`, so a preview shows exactly what is sent.
 */

export interface MessageContent {
  emailSubject?: string | null;
  emailHtml?: string | null;
  emailText?: string | null;
  smsBody?: string | null;
}

export interface RenderedEmail {
  channel: 'EMAIL';
  /** On one line: line breaks from the template or a customer's data become spaces. */
  subject: string;
  /** Empty when the content has no HTML body; the sender then leaves that part out. */
  html: string;
  /** Empty when the content has no text body; the sender then leaves that part out. */
  text: string;
  /** Extra headers: List-Unsubscribe and List-Unsubscribe-Post for marketing, none for transactional. */
  headers: Record<string, string>;
}

export interface RenderedSms {
  channel: 'SMS';
  body: string;
  sms: SmsDescription;
}

export type RenderedMessage = RenderedEmail | RenderedSms;

export interface RenderMessageInput {
  channel: Channel;
  category: MessageCategory;
  content: MessageContent;
  scope: TemplateScope;
  /** The recipient's unsubscribe link; required for a marketing email. */
  unsubscribeUrl: string | null;
  /** Opt-out instruction added to marketing SMS; defaults to "STOP to opt out". */
  optOutWording?: string;
}

const render = (source: string | null | undefined, scope: TemplateScope, html: boolean) =>
  source ? renderTemplate(source, scope, { html }) : '';

function renderEmail(input: RenderMessageInput): RenderedEmail {
  const { content, scope } = input;
  // A header holds one line; a line break in it would end the header (or be folded by the client).
  const subject = render(content.emailSubject, scope, false).replace(/\s*[\r\n]+\s*/g, ' ').trim();
  const body = { html: render(content.emailHtml, scope, true), text: render(content.emailText, scope, false) };
  if (input.category === 'TRANSACTIONAL') return { channel: 'EMAIL', subject, ...body, headers: {} };
  if (!input.unsubscribeUrl) throw badInput('unsubscribeUrl', 'UNSUBSCRIBE_URL_REQUIRED', 'a marketing email needs an unsubscribe link');
  return {
    channel: 'EMAIL',
    subject,
    ...withUnsubscribeFooter(body, input.unsubscribeUrl),
    headers: listUnsubscribeHeaders(input.unsubscribeUrl),
  };
}

function renderSms(input: RenderMessageInput): RenderedSms {
  const rendered = render(input.content.smsBody, input.scope, false);
  const body = input.category === 'MARKETING' ? withOptOutWording(rendered, input.optOutWording) : rendered;
  return { channel: 'SMS', body, sms: describeSms(body) };
}

/**
 * Renders a campaign's content for one recipient on one channel. Marketing emails get a visible
 * unsubscribe link (unless the template placed `{{ unsubscribe_url }}` itself) and the one-click
 * List-Unsubscribe headers; marketing SMS get the opt-out wording (unless the body already says STOP);
 * transactional messages get neither. The SMS result also tells its encoding and parts.
 *
 * @throws DomainError `UNSUBSCRIBE_URL_REQUIRED` for a marketing email without `unsubscribeUrl`, and the
 *   errors of `renderTemplate`.
 */
export function renderMessage(input: RenderMessageInput & { channel: 'EMAIL' }): RenderedEmail;
export function renderMessage(input: RenderMessageInput & { channel: 'SMS' }): RenderedSms;
export function renderMessage(input: RenderMessageInput): RenderedMessage;
export function renderMessage(input: RenderMessageInput): RenderedMessage {
  return input.channel === 'EMAIL' ? renderEmail(input) : renderSms(input);
}
