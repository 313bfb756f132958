import { Field, ID, InputType, ObjectType } from 'type-graphql';
import { CustomerConsent } from './consent.entity.js';
import { Channel, ConsentStatus } from './enums.js';

@InputType({ description: 'A customer, by internal id or by external id: exactly one of the two (@oneOf).' })
export class CustomerRefInput {
  @Field(() => ID, { nullable: true })
  id?: string | null;

  @Field(() => String, { nullable: true })
  externalId?: string | null;
}

@InputType({ description: 'One consent change for one customer.' })
export class SetConsentInput {
  @Field(() => CustomerRefInput)
  customer: CustomerRefInput;

  @Field(() => Channel)
  channel: Channel;

  @Field(() => ConsentStatus)
  status: ConsentStatus;

  @Field(() => String, { nullable: true, description: 'Where it was given or withdrawn (preference centre, store, support call, ...).' })
  source?: string | null;

  @Field(() => Date, { nullable: true, description: 'When the customer gave or withdrew it; default now. An older change never overrides a newer one.' })
  at?: Date | null;
}

@ObjectType({ simpleResolvers: true, description: 'The result of a consent change.' })
export class SetConsentPayload {
  @Field({ description: 'False when a newer change was already stored: the change is kept in the history but is not current.' })
  applied: boolean;

  @Field(() => ID, { description: 'Internal id of the customer. (The customer itself is not returned: the ingest role writes consents but may not read customers.)' })
  customerId: string;

  @Field(() => CustomerConsent, { description: 'The current consent on the channel after this change.' })
  consent: CustomerConsent;
}
