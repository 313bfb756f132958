import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import { setConsent } from '../customers/consents.js';
import { ConsentStatus } from '../schema/enums.js';
import { SetConsentInput, SetConsentPayload } from '../schema/consent.types.js';
import type { Context } from './context.js';

@Resolver()
export class ConsentResolver {
  @Mutation(() => SetConsentPayload, {
    description: 'Records a consent change for one customer and keeps it in the consent history. An older change never overrides a newer one.',
  })
  async setConsent(@Ctx() ctx: Context, @Arg('input', () => SetConsentInput) input: SetConsentInput): Promise<SetConsentPayload> {
    const { customerId, applied } = await setConsent({
      db: ctx.db,
      customer: input.customer,
      channel: input.channel,
      status: input.status,
      source: input.source,
      at: input.at,
      now: ctx.now,
    });
    const consents = await ctx.loaders.consents.load(customerId);
    const consent = consents.find((c) => c.channel === input.channel) ?? {
      customerId,
      channel: input.channel,
      status: ConsentStatus.NEVER_ASKED,
      source: null,
      changedAt: null,
      recordedAt: null,
    };
    return { applied, customerId, consent };
  }
}
