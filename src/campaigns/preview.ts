import type { Db } from '../db/database.js';
import { badInput } from '../errors.js';
import { resolveCustomer, type CustomerRef } from '../customers/consents.js';
import { maskContactFields } from '../customers/mask.js';
import { loadCustomerMetrics } from '../segmentation/customer-metrics.js';
import { bucketOf, isHeldOut, variantBounds, variantOf } from './assignment.js';
import { channelsWithContent, loadCampaignDetail } from './campaigns.js';
import type { Channel } from './contact-policy.js';
import { renderMessage, type RenderedMessage } from './render-message.js';
import { templateScope } from './templates.js';
import { unsubscribeUrl } from './unsubscribe-link.js';

/*
 * What one customer would get from a campaign: their variant (the same SHA-256 draw as a run), the
 * channel the campaign would use for them, and the message rendered exactly as the sender will
 * render it (templates, unsubscribe link and headers, STOP wording, SMS encoding and parts).
 */

export interface MessagePreview {
  customerId: string;
  variant: string;
  channel: Channel;
  /** In the control group: a run records them as held out and never sends them this message. */
  heldOut: boolean;
  message: RenderedMessage;
}

export async function previewMessage(options: {
  db: Db;
  campaignId: string;
  customer: CustomerRef;
  /** Another variant than the customer's own, to proofread it. */
  variant?: string | null;
  /** Another channel than the one the campaign would use (it must have content). */
  channel?: Channel | null;
  publicUrl: string;
  linkSecret: string;
  fallbackOrder: readonly Channel[];
  /** Render with contact fields masked (for roles that must not see them). */
  maskContact?: boolean;
}): Promise<MessagePreview> {
  const { db } = options;
  const detail = await loadCampaignDetail(db, options.campaignId, 'campaign');
  const { campaign, variants } = detail;
  const customer = await resolveCustomer(db, options.customer, 'customer');
  const own = variants[variantOf(bucketOf(campaign.id, customer.id, 'variant'), variantBounds(variants.map((v) => v.weight)))];
  const variant = options.variant == null ? own : variants.find((v) => v.key === options.variant);
  if (!variant) throw badInput('variant', 'UNKNOWN_VARIANT', `the campaign has no variant ${options.variant}`);
  const withContent = channelsWithContent([variant]);
  const preferred = customer.preferredChannel as Channel | null;
  const channel =
    options.channel ??
    (campaign.channel !== 'PREFERRED'
      ? campaign.channel
      : preferred && withContent.includes(preferred)
        ? preferred
        : (options.fallbackOrder.find((c) => withContent.includes(c)) ?? withContent[0]));
  if (!channel || !withContent.includes(channel)) throw badInput('channel', 'NO_CONTENT', `variant ${variant.key} has no ${channel ?? ''} content`.trim());
  const [metrics] = await loadCustomerMetrics<{ customerId: string } & Record<string, unknown>>(db, [customer.id]);
  const url = unsubscribeUrl(options.publicUrl, { campaignId: campaign.id, customerId: customer.id, channel }, options.linkSecret);
  const scope = templateScope({
    customer: (options.maskContact ? maskContactFields(customer) : customer) as unknown as Record<string, unknown>,
    attributes: (customer.attributes ?? {}) as Record<string, unknown>,
    metrics: metrics ?? null,
    campaign: { name: campaign.name },
    unsubscribeUrl: url,
  });
  return {
    customerId: customer.id,
    variant: variant.key,
    channel,
    heldOut: isHeldOut(bucketOf(campaign.id, customer.id, 'holdout'), campaign.holdoutBasisPoints),
    message: renderMessage({ channel, category: campaign.category, content: variant, scope, unsubscribeUrl: url }),
  };
}
