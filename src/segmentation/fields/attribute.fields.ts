import type { AttributeCatalogue } from '../../ingestion/attribute-catalogue.js';
import { AttributeType } from '../../schema/enums.js';
import type { FieldDef, FieldType } from './field.js';

const TYPES: Record<AttributeType, FieldType> = {
  [AttributeType.STRING]: 'STRING',
  [AttributeType.NUMBER]: 'NUMBER',
  [AttributeType.BOOLEAN]: 'BOOLEAN',
  [AttributeType.DATE]: 'DATE',
  [AttributeType.LIST]: 'LIST',
};

/**
 * One field per entry of the attribute catalogue (`attributes.<key>`), typed and flagged as the
 * catalogue says. Values were validated against the same types at ingestion, so the casts hold.
 */
export function attributeFields(catalogue: AttributeCatalogue): FieldDef[] {
  return [...catalogue.values()].map((a) => {
    const type = a.allowedValues && a.type === AttributeType.STRING ? 'ENUM' : TYPES[a.type];
    const read = (key: string) =>
      a.type === AttributeType.NUMBER
        ? `(c.attributes ->> ${key})::numeric`
        : a.type === AttributeType.BOOLEAN
          ? `(c.attributes ->> ${key})::boolean`
          : a.type === AttributeType.DATE
            ? `(c.attributes ->> ${key})::date`
            : a.type === AttributeType.LIST
              ? `(c.attributes -> ${key})`
              : `(c.attributes ->> ${key})`;
    return {
      key: `attributes.${a.key}`,
      family: 'attribute',
      type,
      description: `Free attribute "${a.key}" (${a.type.toLowerCase()}).`,
      values: a.allowedValues ?? undefined,
      sensitive: a.isSensitive,
      listRepr: 'jsonb',
      sql: (ctx) => read(ctx.param(a.key)),
    } satisfies FieldDef;
  });
}
