import { Liquid } from 'liquidjs';
import { describe, expect, test, vi } from 'vitest';
import { DomainError } from '../../src/errors.js';
import { checkTemplate, renderTemplate, templateScope, templateVariables, type TemplateScope } from '../../src/campaigns/templates.js';

/*
 * Campaign templates: what a marketer is told when saving a template (syntax, unknown variables and
 * filters, with their position), that templates cannot reach files, and what a customer receives
 * (escaping in HTML only, defaults for missing values, dates).
 */

const VARIABLES = templateVariables(['vip', 'favourite_colour']);
const PATH = 'input.content.emailHtml';

function checkError(source: string): DomainError {
  try {
    checkTemplate(source, { path: PATH, variables: VARIABLES });
  } catch (error) {
    if (error instanceof DomainError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(source)} to be refused`);
}

const scope = (customer: Record<string, unknown> = {}, extra: Partial<Parameters<typeof templateScope>[0]> = {}): TemplateScope =>
  templateScope({ customer, attributes: {}, metrics: null, campaign: { name: 'Spring sale' }, unsubscribeUrl: null, ...extra });

describe('checkTemplate', () => {
  test.each([
    ['every kind of known variable', 'Hi {{ first_name }} {{ last_name }}, {{ attributes.vip }} {{ metrics.rfm_group }} {{ metrics.rfm_score }} {{ campaign.name }} {{ unsubscribe_url }}'],
    ['a property of a known variable', '{{ first_name.size }} {{ first_name | upcase }}'],
    ['assign', '{% assign greeting = "Hello" %}{{ greeting }} {{ first_name }}'],
    ['capture', '{% capture who %}{{ first_name }} {{ last_name }}{% endcapture %}{{ who | strip }}'],
    ['for loop variable and forloop', '{% for word in attributes.favourite_colour %}{{ word }}{% unless forloop.last %}, {% endunless %}{% endfor %}'],
    ['increment', '{% increment counter %}{{ counter }}'],
    ['a range loop', '{% for i in (1..3) %}{{ i }}{% endfor %}'],
    ['a condition on a metric', '{% if metrics.total_spent > 100 and metrics.lifecycle_stage == "LOYAL" %}Thanks{% endif %}'],
    ['a date filter with the customer time zone', '{{ metrics.last_purchase_at | date: "%d/%m/%Y", time_zone }}'],
  ])('accepts %s', (_name, source) => {
    expect(() => checkTemplate(source, { path: PATH, variables: VARIABLES })).not.toThrow();
  });

  test.each([
    ['a misspelt customer field', 'Hello {{ frist_name }}', 'line 1, column 10: unknown variable frist_name'],
    ['a variable on a later line', 'Hello,\n\n    {{ frist_name }}', 'line 3, column 8: unknown variable frist_name'],
    ['an unknown metric', 'Your score:\n  {{ metrics.foo }}', 'line 2, column 6: unknown variable metrics.foo'],
    ['an attribute not in the catalogue', '{% if attributes.vipp %}VIP{% endif %}', 'line 1, column 7: unknown variable attributes.vipp'],
    ['a field that is not offered to templates', '{{ street_address }}', 'line 1, column 4: unknown variable street_address'],
    ['a variable read before it is assigned elsewhere', '{{ total }}{% assign x = 1 %}', 'line 1, column 4: unknown variable total'],
    ['the first of several unknown variables', '{{ b_unknown }}\n{{ a_unknown }}', 'line 1, column 4: unknown variable b_unknown'],
  ])('refuses %s, with its position', (_name, source, message) => {
    const error = checkError(source);
    expect({ field: error.field, reason: error.reason, message: error.message }).toEqual({ field: PATH, reason: 'UNKNOWN_VARIABLE', message });
  });

  test.each([
    ['an unclosed output', 'Hi\n{{ first_name', 'line 2, column 1', /not closed/],
    ['an unclosed tag', '{% if first_name %}Hi', 'line 1, column 1', /not closed/],
    ['an unknown tag', 'Hi {% greet first_name %}', 'line 1, column 4', /greet/],
    ['an unknown filter', 'Hi\n  {{ first_name | shout }}', 'line 2, column 3', /undefined filter: shout/],
  ])('refuses %s as a syntax error, with its position', (_name, source, position, reason) => {
    const error = checkError(source);
    expect(error.reason).toBe('TEMPLATE_SYNTAX');
    expect(error.field).toBe(PATH);
    expect(error.message.startsWith(`${position}: `)).toBe(true);
    expect(error.message).toMatch(reason);
  });

  test.each(['{% include "/etc/passwd" %}', "{% render 'footer' %}", '{% layout "base" %}'])('refuses %s: templates cannot load files', (source) => {
    const error = checkError(source);
    expect(error.reason).toBe('TEMPLATE_SYNTAX');
    expect(error.message).toMatch(/^line 1, column 1: .*cannot load other files/);
  });

  test('offers each catalogue attribute, and only those', () => {
    const variables = templateVariables(['shoe_size']);
    expect(() => checkTemplate('{{ attributes.shoe_size }}', { path: PATH, variables })).not.toThrow();
    expect(() => checkTemplate('{{ attributes.vip }}', { path: PATH, variables })).toThrow(/unknown variable attributes.vip/);
  });
});

describe('renderTemplate', () => {
  const unsafe = scope({ firstName: `<script>alert("x")</script> & O'Brien` });

  test('escapes customer values in an HTML body', () => {
    expect(renderTemplate('<p>Hi {{ first_name }}</p>', unsafe, { html: true })).toBe(
      '<p>Hi &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; O&#39;Brien</p>',
    );
  });

  test('does not escape twice when the template already escapes', () => {
    expect(renderTemplate('{{ first_name | escape }}', scope({ firstName: 'A & B' }), { html: true })).toBe('A &amp; B');
  });

  test('leaves values as they are in text bodies, subjects and SMS', () => {
    expect(renderTemplate('Hi {{ first_name }}', unsafe, { html: false })).toBe(`Hi <script>alert("x")</script> & O'Brien`);
  });

  test('keeps the markup the template itself writes', () => {
    expect(renderTemplate('<a href="{{ unsubscribe_url }}">Leave</a>', scope({}, { unsubscribeUrl: 'https://cible.test/u?t=1&c=2' }), { html: true })).toBe(
      '<a href="https://cible.test/u?t=1&amp;c=2">Leave</a>',
    );
  });

  test.each([
    ['a missing value renders empty', 'Hi {{ first_name }}!', {}, 'Hi !'],
    ['default fills a missing value', 'Hi {{ first_name | default: "there" }}!', {}, 'Hi there!'],
    ['default fills a null value', 'Hi {{ first_name | default: "there" }}!', { firstName: null }, 'Hi there!'],
    ['default keeps a present value', 'Hi {{ first_name | default: "there" }}!', { firstName: 'Ana' }, 'Hi Ana!'],
    ['an unknown variable renders empty', 'Hi {{ nobody }}!', { firstName: 'Ana' }, 'Hi !'],
    ['numbers print as numbers', '{{ loyalty_points }} points', { loyaltyPoints: 1250 }, '1250 points'],
    ['birth dates print as YYYY-MM-DD', '{{ birth_date }}', { birthDate: '1990-05-17' }, '1990-05-17'],
  ])('%s', (_name, source, customer, expected) => {
    expect(renderTemplate(source, scope(customer), { html: false })).toBe(expected);
  });

  test('renders metrics, attributes and the campaign name', () => {
    const s = scope(
      { firstName: 'Ana' },
      {
        attributes: { vip: true, favourite_colour: 'teal' },
        metrics: { rScore: 5, fScore: 4, mScore: 3, rfmGroup: 'CHAMPIONS', totalSpent: 412.5, lastPurchaseAt: new Date('2026-03-01T23:30:00Z') },
      },
    );
    const source = '{{ campaign.name }}: {{ metrics.rfm_group }} {{ metrics.rfm_score }} {{ metrics.total_spent }} {% if attributes.vip %}VIP {{ attributes.favourite_colour }}{% endif %}';
    expect(renderTemplate(source, s, { html: false })).toBe('Spring sale: CHAMPIONS 543 412.5 VIP teal');
  });

  test('prints instants in UTC, and in the customer zone through the date filter', () => {
    const s = scope({ timeZone: 'Europe/Paris' }, { metrics: { lastPurchaseAt: new Date('2026-03-01T23:30:00Z') } });
    expect(renderTemplate('{{ metrics.last_purchase_at }}', s, { html: false })).toBe('2026-03-01T23:30:00.000Z');
    expect(renderTemplate('{{ metrics.last_purchase_at | date: "%d/%m/%Y" }}', s, { html: false })).toBe('01/03/2026');
    expect(renderTemplate('{{ metrics.last_purchase_at | date: "%d/%m/%Y", time_zone }}', s, { html: false })).toBe('02/03/2026');
  });

  test('renders empty metrics for a customer without computed metrics', () => {
    expect(renderTemplate('[{{ metrics.rfm_group }}{{ metrics.rfm_score }}]', scope({}, { metrics: null }), { html: false })).toBe('[]');
  });

  test('cannot read what is not in the scope object', () => {
    expect(renderTemplate('[{{ first_name.constructor }}{{ attributes.toString }}]', scope({ firstName: 'Ana' }), { html: false })).toBe('[]');
  });

  test('refuses to load a file at render time too', () => {
    expect(() => renderTemplate('{% include "/etc/passwd" %}', scope(), { html: false })).toThrow(/cannot load other files/);
  });

  test('stops a runaway loop instead of stalling the worker', () => {
    const source = '{% for i in (1..100000) %}{% for j in (1..100000) %}x{% endfor %}{% endfor %}';
    expect(() => renderTemplate(source, scope(), { html: false })).toThrow(expect.objectContaining({ reason: 'TEMPLATE_RENDER' }));
  });

  test('parses a template once however many customers it is rendered for', () => {
    const parse = vi.spyOn(Liquid.prototype, 'parse');
    const source = `Hi {{ first_name | default: "there" }} (${Math.random()})`;
    const names = Array.from({ length: 1000 }, (_, i) => (i % 10 === 0 ? null : `C${i}`));
    const out = names.map((name) => renderTemplate(source, scope({ firstName: name }), { html: true }));
    expect(parse).toHaveBeenCalledTimes(1);
    parse.mockRestore();
    expect(out[0]).toMatch(/^Hi there /);
    expect(out[999]).toMatch(/^Hi C999 /);
  });
});
