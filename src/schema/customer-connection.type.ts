import { Field, InputType, Int, ObjectType } from 'type-graphql';
import { Customer } from './customer.entity.js';
import { Channel, ConsentStatus } from './enums.js';
import { PageInfo } from './page.type.js';

@ObjectType({ simpleResolvers: true, description: 'A customer and its cursor.' })
export class CustomerEdge {
  @Field()
  cursor: string;

  @Field(() => Customer)
  node: Customer;
}

@ObjectType({ simpleResolvers: true, description: 'A page of customers in id order (keyset pagination).' })
export class CustomerConnection {
  @Field(() => [CustomerEdge])
  edges: CustomerEdge[];

  @Field(() => [Customer], { description: 'The nodes of `edges`, for clients that do not need cursors per item.' })
  nodes: Customer[];

  @Field(() => PageInfo)
  pageInfo: PageInfo;

  /** Counts the matches of all pages; run only when a client asks for `totalCount`. */
  countAll: () => Promise<number>;
}

@InputType({ description: 'Consent filter: customers whose current consent on `channel` is `status`.' })
export class ConsentFilterInput {
  @Field(() => Channel)
  channel: Channel;

  @Field(() => ConsentStatus)
  status: ConsentStatus;
}

@InputType({ description: 'Filters for the customer list; all given filters must match.' })
export class CustomerFilterInput {
  @Field(() => String, { nullable: true, description: 'Exact external id, or case-insensitive prefix of the email, first or last name, or phone (+33612...).' })
  search?: string | null;

  @Field(() => String, { nullable: true, description: 'ISO 3166-1 alpha-2 country code.' })
  country?: string | null;

  @Field(() => ConsentFilterInput, { nullable: true })
  consent?: ConsentFilterInput | null;

  @Field(() => Date, { nullable: true, description: 'Created at or after this instant.' })
  createdFrom?: Date | null;

  @Field(() => Date, { nullable: true, description: 'Created strictly before this instant.' })
  createdBefore?: Date | null;

  @Field(() => Boolean, { nullable: true, defaultValue: false, description: 'Include erased (tombstoned) customers.' })
  includeErased?: boolean | null;
}
