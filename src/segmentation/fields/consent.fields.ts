import { Channel, ConsentStatus } from '../../schema/enums.js';
import type { FieldDef, SqlContext } from './field.js';

const consentJoin = (ctx: SqlContext, channel: Channel) => {
  const alias = `consent_${channel.toLowerCase()}`;
  return ctx.join(alias, `LEFT JOIN customer_consents ${alias} ON ${alias}.customer_id = c.id AND ${alias}.channel = '${channel}'`);
};

const address: Record<Channel, string> = { [Channel.EMAIL]: 'c.email', [Channel.SMS]: 'c.phone' };

/** Consent and reachability per channel ("can be reached by SMS", "never asked for email consent"). */
export const consentFields: readonly FieldDef[] = Object.values(Channel).flatMap((channel): FieldDef[] => [
  {
    key: `consent.${channel.toLowerCase()}`,
    family: 'consent',
    type: 'ENUM',
    values: Object.values(ConsentStatus),
    operators: ['EQ', 'NEQ', 'IN', 'NOT_IN'],
    description: `Current marketing consent on ${channel} (NEVER_ASKED when none was recorded).`,
    sensitive: false,
    sql: (ctx) => `coalesce(${consentJoin(ctx, channel)}.status, 'NEVER_ASKED')`,
  },
  {
    key: `reachable.${channel.toLowerCase()}`,
    family: 'consent',
    type: 'BOOLEAN',
    operators: ['EQ'],
    description: `Subscribed to ${channel} marketing and has an ${channel === Channel.EMAIL ? 'email address' : 'mobile number'}.`,
    sensitive: false,
    sql: (ctx) => `(${consentJoin(ctx, channel)}.status IS NOT DISTINCT FROM 'SUBSCRIBED' AND ${address[channel]} IS NOT NULL)`,
  },
]);
