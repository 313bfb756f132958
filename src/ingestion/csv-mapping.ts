import { badInput } from '../errors.js';
import { AttributeType } from '../schema/enums.js';
import type { AttributeCatalogue } from './attribute-catalogue.js';
import { CUSTOMER_FIELDS } from './customer-row.js';

/**
 * Turns a CSV header into a function mapping one record (array of cells) to the same object shape
 * the GraphQL mutations and NDJSON files use, so that all three share one validator.
 *
 * Cell conventions: an empty cell means "not given" (the field is left unchanged); `\N` (as in
 * PostgreSQL COPY) means null, i.e. clear the field; lists are `|`-separated.
 */
export type ImportKind = 'customers' | 'transactions' | 'events';

type Setter = (target: Record<string, unknown>, cell: string) => void;

const NULL_CELL = '\\N';
const splitList = (cell: string) => cell.split('|').map((s) => s.trim()).filter((s) => s !== '');

/** Numbers stay strings when they do not parse, so the validator reports a typed error for the row. */
function toNumber(cell: string): number | string {
  const n = Number(cell);
  return cell.trim() !== '' && Number.isFinite(n) ? n : cell;
}

function toBoolean(cell: string): boolean | string {
  const v = cell.trim().toLowerCase();
  if (v === 'true' || v === '1' || v === 'yes' || v === 't') return true;
  if (v === 'false' || v === '0' || v === 'no' || v === 'f') return false;
  return cell;
}

function plain(name: string, convert: (cell: string) => unknown = (c) => c): Setter {
  return (t, cell) => {
    t[name] = cell === NULL_CELL ? null : convert(cell);
  };
}

const CUSTOMER_CONVERTERS: Record<string, (cell: string) => unknown> = {
  householdSize: toNumber,
  loyaltyPoints: toNumber,
  devices: splitList,
  platforms: splitList,
};

function attributeSetter(key: string, catalogue: AttributeCatalogue): Setter {
  const type = catalogue.get(key)?.type;
  const convert =
    type === AttributeType.NUMBER ? toNumber : type === AttributeType.BOOLEAN ? toBoolean : type === AttributeType.LIST ? splitList : (c: string) => c;
  return (t, cell) => {
    const attrs = (t.attributes ??= {}) as Record<string, unknown>;
    attrs[key] = cell === NULL_CELL ? null : convert(cell);
  };
}

function consentSetter(channel: string, part: 'status' | 'source' | 'at'): Setter {
  return (t, cell) => {
    const list = (t.consents ??= []) as Record<string, unknown>[];
    let entry = list.find((c) => c.channel === channel);
    if (!entry) list.push((entry = { channel }));
    entry[part] = cell === NULL_CELL ? null : cell;
  };
}

const TRANSACTION_CONVERTERS: Record<string, (cell: string) => unknown> = {
  externalId: (c) => c,
  customerExternalId: (c) => c,
  amount: toNumber,
  currency: (c) => c,
  occurredAt: (c) => c,
  category: (c) => c,
  product: (c) => c,
  channel: (c) => c,
  store: (c) => c,
  pointsEarned: toNumber,
  pointsRedeemed: toNumber,
  refunded: toBoolean,
};

function parseJsonObject(cell: string): unknown {
  try {
    return JSON.parse(cell);
  } catch {
    return cell; // reported by the validator as "properties must be an object"
  }
}

const EVENT_CONVERTERS: Record<string, (cell: string) => unknown> = {
  externalId: (c) => c,
  customerExternalId: (c) => c,
  name: (c) => c,
  occurredAt: (c) => c,
  properties: parseJsonObject,
};

function columnSetter(kind: ImportKind, column: string, catalogue: AttributeCatalogue): Setter | null {
  if (kind === 'customers') {
    if (column === 'externalId' || CUSTOMER_FIELDS.some((f) => f.name === column)) return plain(column, CUSTOMER_CONVERTERS[column]);
    const attr = /^attributes\.([a-z][a-z0-9_]*)$/.exec(column);
    if (attr) return attributeSetter(attr[1], catalogue);
    const consent = /^consents\.(email|sms)\.(status|source|at)$/i.exec(column);
    if (consent) return consentSetter(consent[1].toUpperCase(), consent[2].toLowerCase() as 'status' | 'source' | 'at');
    return null;
  }
  const converters = kind === 'transactions' ? TRANSACTION_CONVERTERS : EVENT_CONVERTERS;
  if (converters[column]) return plain(column, converters[column]);
  const prop = kind === 'events' ? /^properties\.(.+)$/.exec(column) : null;
  if (prop)
    return (t, cell) => {
      const props = (t.properties ??= {}) as Record<string, unknown>;
      props[prop[1]] = cell === NULL_CELL ? null : cell;
    };
  return null;
}

/**
 * Compiles a header into a record mapper. Throws with every unknown column named: a typo in a
 * header must stop the import before anything is written, not silently drop a column.
 */
export function compileCsvHeader(kind: ImportKind, header: readonly string[], catalogue: AttributeCatalogue): (cells: readonly string[]) => Record<string, unknown> {
  const setters: (Setter | null)[] = header.map((h) => columnSetter(kind, h.trim(), catalogue));
  const unknown = header.filter((_, i) => !setters[i]);
  if (unknown.length) throw badInput('header', 'UNKNOWN_COLUMN', `unknown column(s) for ${kind}: ${unknown.join(', ')}`);
  const seen = new Set<string>();
  for (const h of header) {
    if (seen.has(h.trim())) throw badInput('header', 'DUPLICATE_COLUMN', `column "${h.trim()}" appears twice`);
    seen.add(h.trim());
  }
  return (cells) => {
    const out: Record<string, unknown> = {};
    for (let i = 0; i < setters.length; i++) {
      const cell = cells[i];
      if (cell === undefined || cell === '') continue;
      setters[i]!(out, cell);
    }
    return out;
  };
}
