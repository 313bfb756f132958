import { Field, ObjectType } from 'type-graphql';

/** Relay page info. Cursors are opaque: clients pass `endCursor` back as `after`. */
@ObjectType({ simpleResolvers: true, description: 'Where a page of a connection stands.' })
export class PageInfo {
  @Field()
  hasNextPage: boolean;

  @Field(() => String, { nullable: true })
  endCursor: string | null;
}

/** Encodes a keyset position (an id) as an opaque cursor. */
export function encodeCursor(id: string): string {
  return Buffer.from(`k:${id}`, 'utf8').toString('base64url');
}

const MAX_BIGINT = 9_223_372_036_854_775_807n;

/** True for the text of an internal id: a positive PostgreSQL bigint (digits, at most 2^63 - 1). */
export function isBigintId(text: string): boolean {
  return /^\d{1,19}$/.test(text) && BigInt(text) <= MAX_BIGINT;
}

/** Decodes a cursor made by `encodeCursor`; returns null when it is not one. */
export function decodeCursor(cursor: string): string | null {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const m = /^k:(\d{1,19})$/.exec(text);
  return m && isBigintId(m[1]) ? m[1] : null;
}
