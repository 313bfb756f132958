import { LRUCache } from 'lru-cache';
import { Liquid, LiquidError, filters, type Template, type Variable } from 'liquidjs';
import { badInput } from '../errors.js';

/*
 * Campaign message templates, in Liquid (liquidjs). Marketers write them; customers' data fills them.
 *
 * - What a template may read is a fixed set of dotted names (`templateVariables`): customer fields in
 *   snake_case at the top level, `attributes.<key>` for each catalogue key, `metrics.<name>`,
 *   `campaign.name` and `unsubscribe_url`. `checkTemplate` refuses anything else when the campaign is
 *   saved, using liquidjs's own static analysis, so a typo fails then and not silently at send time.
 * - Rendering never fails on a missing value: it renders empty, so `{{ first_name | default: "there" }}`
 *   works for customers without a first name.
 * - HTML bodies escape every output; subjects, text bodies and SMS do not (they are not HTML).
 * - Templates cannot read files: the engine has an empty in-memory file system and no
 *   include/render/layout tags at all, so those fail when the template is checked.
 */

/** Customer fields a template can read, by template name → `Customer` property. */
const CUSTOMER_FIELDS = {
  external_id: 'externalId',
  first_name: 'firstName',
  last_name: 'lastName',
  email: 'email',
  phone: 'phone',
  city: 'city',
  region: 'region',
  country: 'country',
  postal_code: 'postalCode',
  locale: 'locale',
  time_zone: 'timeZone',
  gender: 'gender',
  loyalty_tier: 'loyaltyTier',
  loyalty_points: 'loyaltyPoints',
  signup_channel: 'signupChannel',
  birth_date: 'birthDate',
} as const;

/** Metrics a template can read, by template name → `CustomerMetrics` property (`rfm_score` is derived). */
const METRIC_FIELDS = {
  rfm_group: 'rfmGroup',
  lifecycle_stage: 'lifecycleStage',
  value_tier: 'valueTier',
  total_spent: 'totalSpent',
  purchase_count: 'purchaseCount',
  average_order_value: 'averageOrderValue',
  first_purchase_at: 'firstPurchaseAt',
  last_purchase_at: 'lastPurchaseAt',
  recency_days: 'recencyDays',
  clv_predicted: 'clvPredicted',
} as const;

export type CustomerVariable = keyof typeof CUSTOMER_FIELDS;
export type MetricVariable = keyof typeof METRIC_FIELDS | 'rfm_score';

/**
 * What a template renders against. Values are strings, numbers, booleans, string lists or null;
 * instants are ISO 8601 strings in UTC (`2026-03-01T09:30:00.000Z`) and dates `YYYY-MM-DD`, which print
 * unambiguously as they are and which the `date` filter formats
 * (`{{ metrics.last_purchase_at | date: "%d/%m/%Y", time_zone }}` for the customer's local day).
 */
export interface TemplateScope extends Readonly<Record<CustomerVariable, unknown>> {
  readonly attributes: Readonly<Record<string, unknown>>;
  /** All null for a customer without computed metrics yet. */
  readonly metrics: Readonly<Record<MetricVariable, unknown>>;
  readonly campaign: { readonly name: string };
  readonly unsubscribe_url: string | null;
}

/**
 * The dotted names a template may read, given the keys of the attribute catalogue.
 * Pass the result to `checkTemplate`.
 */
export function templateVariables(attributeKeys: readonly string[]): ReadonlySet<string> {
  return new Set([
    ...Object.keys(CUSTOMER_FIELDS),
    ...attributeKeys.map((key) => `attributes.${key}`),
    ...[...Object.keys(METRIC_FIELDS), 'rfm_score'].map((name) => `metrics.${name}`),
    'campaign.name',
    'unsubscribe_url',
  ]);
}

/** Dates print as ISO 8601 (see `TemplateScope`); a missing value is null so that it renders empty. */
function toTemplateValue(value: unknown): unknown {
  if (value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  return value;
}

function mapFields<K extends string>(fields: Record<K, string>, source: Record<string, unknown> | null): Record<K, unknown> {
  const out = {} as Record<K, unknown>;
  for (const [name, property] of Object.entries(fields) as [K, string][]) out[name] = toTemplateValue(source?.[property]);
  return out;
}

/** The usual RFM notation: the three 1–5 scores side by side ("545"); null until all three are computed. */
function rfmScore(metrics: Record<string, unknown> | null): string | null {
  const scores = [metrics?.rScore, metrics?.fScore, metrics?.mScore];
  return scores.every((s) => typeof s === 'number') ? scores.join('') : null;
}

/**
 * Builds the scope a template renders against from a customer row, its free attributes, its metrics
 * (null when none have been computed yet) and the campaign. Inputs use the entities' camelCase
 * property names; the scope uses the template names of `templateVariables`.
 */
export function templateScope(input: {
  customer: Record<string, unknown>;
  attributes: Record<string, unknown>;
  metrics: Record<string, unknown> | null;
  campaign: { name: string };
  unsubscribeUrl: string | null;
}): TemplateScope {
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input.attributes)) attributes[key] = toTemplateValue(value);
  return {
    ...mapFields(CUSTOMER_FIELDS, input.customer),
    attributes,
    metrics: { ...mapFields(METRIC_FIELDS, input.metrics), rfm_score: rfmScore(input.metrics) },
    campaign: { name: input.campaign.name },
    unsubscribe_url: input.unsubscribeUrl,
  };
}

/** Tags that load other templates by name: with them a template could read files. */
const FILE_TAGS = ['include', 'render', 'layout'] as const;

function createEngine(html: boolean): Liquid {
  const engine = new Liquid({
    // An in-memory file system with no file in it: nothing on disk is ever looked up.
    templates: {},
    strictFilters: true,
    strictVariables: false,
    ownPropertyOnly: true,
    // escape_once rather than escape: a template that already wrote `{{ x | escape }}` is not escaped twice.
    outputEscape: html ? (filters.escape_once as (value: unknown) => string) : undefined,
    // The `date` filter must not depend on the server's zone or language; templates pass the customer's
    // `time_zone` when they want local time.
    timezoneOffset: 0,
    locale: 'en-US',
    // A template is rendered once per recipient by a worker: a runaway loop must fail that message in
    // about a second, not stall the queue. Real templates render in well under a millisecond.
    renderLimit: 1_000,
    memoryLimit: 10_000_000,
  });
  for (const tag of FILE_TAGS) delete engine.tags[tag];
  return engine;
}

const ENGINES = { html: createEngine(true), text: createEngine(false) };

/*
 * Parsed templates by source, per engine (escaping is compiled into the parse). A send renders the same
 * few sources for every recipient, so 100 entries is plenty; the size bound keeps a burst of previews of
 * large HTML bodies from holding much memory.
 */
const newCache = () =>
  new LRUCache<string, Template[]>({ max: 100, maxSize: 20_000_000, sizeCalculation: (_value, source) => Math.max(1, source.length) });
const PARSED = { html: newCache(), text: newCache() };

/** "line 2, column 5: <reason>" from a liquidjs error, whose own message ends with ", line:2, col:5". */
function describeLiquidError(error: LiquidError): string {
  const [line, column] = error.token?.getPosition() ?? [1, 1];
  const reason = (error.originalError?.message ?? error.message).replace(/, line:\d+, col:\d+$/, '');
  const fileTag = /^tag "(include|render|layout)" not found$/.exec(reason);
  const text = fileTag ? `{% ${fileTag[1]} %} is not available: templates cannot load other files` : reason;
  return `line ${line}, column ${column}: ${text}`;
}

function syntaxError(path: string | null, error: unknown): unknown {
  return error instanceof LiquidError ? badInput(path, 'TEMPLATE_SYNTAX', describeLiquidError(error)) : error;
}

function parse(source: string, html: boolean, path: string | null): Template[] {
  const cache = html ? PARSED.html : PARSED.text;
  const cached = cache.get(source);
  if (cached) return cached;
  let parsed: Template[];
  try {
    parsed = (html ? ENGINES.html : ENGINES.text).parse(source);
  } catch (error) {
    throw syntaxError(path, error);
  }
  cache.set(source, parsed);
  return parsed;
}

/** The leading property names of a variable: `metrics.total_spent.size` → ["metrics", "total_spent", "size"]. */
function namePath(variable: Variable): string[] {
  const names: string[] = [];
  for (const segment of variable.segments) {
    if (typeof segment !== 'string') break;
    names.push(segment);
  }
  return names;
}

/**
 * Known when a prefix of the path is a variable (`first_name.size` reads a known variable) or the path is
 * a namespace of variables (`{% for pair in attributes %}`). A dynamic lookup such as `attributes[key]`
 * can only be checked up to its namespace.
 */
function isKnown(variable: Variable, variables: ReadonlySet<string>): boolean {
  const path = namePath(variable);
  for (let i = 1; i <= path.length; i++) if (variables.has(path.slice(0, i).join('.'))) return true;
  if (path.length === 0) return false;
  const namespace = `${path.join('.')}.`;
  for (const name of variables) if (name.startsWith(namespace)) return true;
  return false;
}

/**
 * Checks a template when it is saved: syntax, filters and every variable it reads. Variables the template
 * defines itself (`assign`, `capture`, `increment`, `for` loop variables, `forloop`) are accepted.
 *
 * @throws DomainError `TEMPLATE_SYNTAX` for a parse error, an unknown filter or a tag that loads files,
 *   `UNKNOWN_VARIABLE` for a variable not in `variables`; both at `path`, with line and column, e.g.
 *   "line 2, column 5: unknown variable frist_name".
 */
export function checkTemplate(source: string, options: { path: string; variables: ReadonlySet<string> }): void {
  const parsed = parse(source, false, options.path);
  // partials: false — there are none (no file tags), and analysis must never try to load one.
  const { globals } = ENGINES.text.analyzeSync(parsed, { partials: false });
  const unknown = Object.values(globals)
    .flat()
    .filter((variable) => !isKnown(variable, options.variables))
    .sort((a, b) => a.location.row - b.location.row || a.location.col - b.location.col);
  const first = unknown[0];
  if (first) {
    const { row, col } = first.location;
    throw badInput(options.path, 'UNKNOWN_VARIABLE', `line ${row}, column ${col}: unknown variable ${first.toString()}`);
  }
}

/**
 * Renders a template for one recipient. `html: true` for HTML bodies: every output is HTML-escaped
 * (a template can opt out with `| raw`, for markup it builds itself); `false` for subjects, text bodies and
 * SMS, where nothing is escaped. Values missing from the scope render empty. Parsed templates are cached
 * by source, so rendering one template for many recipients parses it once.
 *
 * @throws DomainError `TEMPLATE_SYNTAX` for a template that does not parse (one that passed
 *   `checkTemplate` always does), `TEMPLATE_RENDER` when rendering fails (e.g. a loop over the limits);
 *   both are permanent for this message.
 */
export function renderTemplate(source: string, scope: TemplateScope, options: { html: boolean }): string {
  const parsed = parse(source, options.html, null);
  try {
    return String((options.html ? ENGINES.html : ENGINES.text).renderSync(parsed, scope));
  } catch (error) {
    if (error instanceof LiquidError) throw badInput(null, 'TEMPLATE_RENDER', describeLiquidError(error));
    throw error;
  }
}
