import type { FieldDef } from '../../src/segmentation/fields/field.js';
import type { FieldRegistry } from '../../src/segmentation/fields/registry.js';
import { periodMs, type Condition, type SegmentNode, type Value } from '../../src/segmentation/rules.js';

/*
 * A straightforward in-memory evaluation of segment definitions, written from the documented
 * semantics (not from the SQL): the property test checks the compiled SQL agrees with it.
 * Two-valued logic: a comparison with a missing value is false, NEQ and NOT_IN included.
 */

export interface RefTransaction {
  customerId: string;
  amount: number;
  category: string | null;
  occurredAt: Date;
  refunded: boolean;
}

export interface RefEvent {
  customerId: string;
  name: string;
  occurredAt: Date;
  properties: Record<string, string>;
}

/** A row of `messages`: only what segment rules read. */
export interface RefMessage {
  id: string;
  runAt: Date;
  campaignId: string;
  customerId: string;
  channel: 'EMAIL' | 'SMS' | null;
  outcome: string;
  sentAt: Date | null;
}

/** A row of `responses`. */
export interface RefResponse {
  messageId: string;
  campaignId: string;
  customerId: string;
  channel: 'EMAIL' | 'SMS';
  type: string;
  isMachine: boolean;
  occurredAt: Date;
}

export interface RefCustomer {
  id: string;
  erased: boolean;
  /** Customer columns by SQL name (country, birth_date, devices, ...). */
  columns: Record<string, unknown>;
  attributes: Record<string, unknown>;
  consents: Partial<Record<'EMAIL' | 'SMS', string>>;
  metrics: Record<string, unknown> | null;
}

export interface RefBase {
  customers: RefCustomer[];
  transactions: RefTransaction[];
  events: RefEvent[];
  messages: RefMessage[];
  responses: RefResponse[];
}

const DAY = 86_400_000;

function addYearsClamped(date: string, years: number): string {
  const [y, m, d] = date.split('-').map(Number);
  const ty = y + years;
  const leap = (ty % 4 === 0 && ty % 100 !== 0) || ty % 400 === 0;
  const day = m === 2 && d === 29 && !leap ? 28 : d;
  return `${String(ty).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

const dayNumber = (date: string) => Date.parse(`${date}T00:00:00Z`) / DAY;

function value(f: FieldDef, c: Condition, cust: RefCustomer, base: RefBase, now: Date): unknown {
  const [family, name] = [f.family, f.key.slice(f.key.indexOf('.') + 1)];
  const today = now.toISOString().slice(0, 10);
  const inWindow = (at: Date) => {
    const p = c.params;
    if (p?.within) return at.getTime() > now.getTime() - periodMs(p.within) && at.getTime() <= now.getTime();
    if (p?.between) return at.getTime() >= Date.parse(p.between.from) && at.getTime() < Date.parse(p.between.to);
    return at.getTime() <= now.getTime();
  };
  switch (family) {
    case 'customer': {
      const birth = cust.columns.birth_date as string | null;
      if (name === 'age') {
        if (!birth) return null;
        const [by, bm, bd] = birth.split('-').map(Number);
        const [ty, tm, td] = today.split('-').map(Number);
        return ty - by - (tm < bm || (tm === bm && td < bd) ? 1 : 0);
      }
      if (name === 'days_to_birthday') {
        if (!birth) return null;
        const years = Number(today.slice(0, 4)) - Number(birth.slice(0, 4));
        const thisYear = addYearsClamped(birth, years);
        return thisYear >= today ? dayNumber(thisYear) - dayNumber(today) : dayNumber(addYearsClamped(birth, years + 1)) - dayNumber(today);
      }
      return cust.columns[name] ?? null;
    }
    case 'attribute':
      return cust.attributes[name] ?? null;
    case 'metrics':
      return cust.metrics ? (cust.metrics[name] ?? null) : null;
    case 'transactions': {
      const txs = base.transactions.filter(
        (t) =>
          t.customerId === cust.id &&
          t.refunded === (name === 'refunded_count') &&
          (c.params?.category === undefined || t.category === c.params.category) &&
          inWindow(t.occurredAt),
      );
      if (name === 'total_spent') return Math.round(txs.reduce((s, t) => s + t.amount, 0) * 100) / 100;
      return txs.length;
    }
    case 'events':
      return base.events.filter(
        (e) =>
          e.customerId === cust.id &&
          e.name === c.params!.eventName &&
          inWindow(e.occurredAt) &&
          (c.params?.properties ?? []).every((p) => e.properties[p.key] === p.value),
      ).length;
    case 'responses':
      return responseValue(name, c, cust, base, now, inWindow);
    case 'consent': {
      const channel = name.toUpperCase() as 'EMAIL' | 'SMS';
      if (f.key.startsWith('consent.')) return cust.consents[channel] ?? 'NEVER_ASKED';
      return cust.consents[channel] === 'SUBSCRIBED' && cust.columns[channel === 'EMAIL' ? 'email' : 'phone'] != null;
    }
  }
  return null;
}

/**
 * Campaign responses, from the field descriptions: distinct campaigns received (SENT or DELIVERED,
 * by sent_at) or answered (by occurred_at; opens and clicks by humans only); "ignored the last N":
 * the N most recent received messages exist and none got a human open or click by 7 days after it
 * was sent (and by now).
 */
function responseValue(name: string, c: Condition, cust: RefCustomer, base: RefBase, now: Date, inWindow: (at: Date) => boolean): unknown {
  const p = c.params;
  const inScope = (x: { campaignId: string; channel: string | null }) =>
    (p?.campaignId === undefined || x.campaignId === p.campaignId) && (p?.channel === undefined || x.channel === p.channel);
  const received = base.messages.filter((m) => m.customerId === cust.id && (m.outcome === 'SENT' || m.outcome === 'DELIVERED') && m.sentAt !== null && inScope(m));
  if (name === 'received') return new Set(received.filter((m) => inWindow(m.sentAt!)).map((m) => m.campaignId)).size;
  if (name === 'ignored_last') {
    const n = p!.lastReceived!;
    const last = received
      .filter((m) => m.sentAt!.getTime() <= now.getTime())
      .sort((a, b) => b.sentAt!.getTime() - a.sentAt!.getTime() || Number(b.id) - Number(a.id))
      .slice(0, n);
    const answered = (m: RefMessage) =>
      base.responses.some(
        (r) =>
          r.messageId === m.id &&
          (r.type === 'OPENED' || r.type === 'CLICKED') &&
          !r.isMachine &&
          r.occurredAt.getTime() <= m.sentAt!.getTime() + 7 * DAY &&
          r.occurredAt.getTime() <= now.getTime(),
      );
    return last.length === n && !last.some(answered);
  }
  const type = name.toUpperCase();
  const humanOnly = type === 'OPENED' || type === 'CLICKED';
  return new Set(
    base.responses.filter((r) => r.customerId === cust.id && r.type === type && !(humanOnly && r.isMachine) && inScope(r) && inWindow(r.occurredAt)).map((r) => r.campaignId),
  ).size;
}

const ms = (v: unknown) => (v instanceof Date ? v.getTime() : Date.parse(String(v)));

function compare(f: FieldDef, op: Condition['operator'], x: unknown, v: Value | undefined, now: Date): boolean {
  const isList = f.type === 'LIST';
  const present = isList ? Array.isArray(x) && x.length > 0 : x !== null && x !== undefined;
  if (op === 'IS_SET') return present;
  if (op === 'IS_NOT_SET') return !present;
  if (x === null || x === undefined) return false;
  const raw = v ? Object.values(v)[0] : undefined;
  const num = (a: unknown) => Number(a);
  const cmp = (a: unknown, b: unknown): number => {
    if (f.type === 'NUMBER') return num(a) - num(b);
    if (f.type === 'DATETIME') return ms(a) - ms(b);
    const sa = String(a);
    const sb = String(b);
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  };
  switch (op) {
    case 'EQ':
      return f.type === 'BOOLEAN' ? x === raw : cmp(x, raw) === 0;
    case 'NEQ':
      return cmp(x, raw) !== 0;
    case 'LT':
      return cmp(x, raw) < 0;
    case 'LTE':
      return cmp(x, raw) <= 0;
    case 'GT':
      return cmp(x, raw) > 0;
    case 'GTE':
      return cmp(x, raw) >= 0;
    case 'BETWEEN': {
      const r = raw as { from: unknown; to: unknown };
      return cmp(x, r.from) >= 0 && cmp(x, r.to) <= 0;
    }
    case 'IN':
    case 'NOT_IN': {
      const list = raw as string[];
      if (isList) return (x as string[]).some((i) => list.includes(i));
      const hit = list.some((i) => cmp(x, i) === 0);
      return op === 'IN' ? hit : !hit;
    }
    case 'CONTAINS':
      return isList ? (x as string[]).includes(raw as string) : String(x).toLowerCase().includes(String(raw).toLowerCase());
    case 'STARTS_WITH':
      return String(x).toLowerCase().startsWith(String(raw).toLowerCase());
    case 'WITHIN_LAST': {
      const t = ms(x);
      return t > now.getTime() - periodMs(raw as never) && t <= now.getTime();
    }
    case 'MORE_THAN_AGO':
      return ms(x) <= now.getTime() - periodMs(raw as never);
  }
}

/** The customers (ids) a definition selects, erased ones never. */
export function evaluate(root: SegmentNode, registry: FieldRegistry, base: RefBase, now: Date): string[] {
  const test = (n: SegmentNode, cust: RefCustomer): boolean => {
    if ('and' in n) return n.and.every((c) => test(c, cust));
    if ('or' in n) return n.or.some((c) => test(c, cust));
    if ('not' in n) return !test(n.not, cust);
    if ('condition' in n) {
      const f = registry.get(n.condition.field)!;
      return compare(f, n.condition.operator, value(f, n.condition, cust, base, now), n.condition.value, now);
    }
    throw new Error('segment references are not generated');
  };
  return base.customers.filter((c) => !c.erased && test(root, c)).map((c) => c.id);
}
