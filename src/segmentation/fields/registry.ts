import type { AttributeCatalogue } from '../../ingestion/attribute-catalogue.js';
import { activityFields } from './activity.fields.js';
import { attributeFields } from './attribute.fields.js';
import { consentFields } from './consent.fields.js';
import { customerFields } from './customer.fields.js';
import type { FieldDef } from './field.js';
import { metricsFields } from './metrics.fields.js';
import { responseFields } from './response.fields.js';

export type FieldRegistry = ReadonlyMap<string, FieldDef>;

/**
 * Every field a segment rule may use. Families are files of FieldDefs; adding one is adding its file
 * here. Attribute fields come from the catalogue, so they are built per call.
 */
export function buildFieldRegistry(catalogue: AttributeCatalogue): FieldRegistry {
  const all = [...customerFields, ...attributeFields(catalogue), ...metricsFields, ...activityFields, ...consentFields, ...responseFields];
  return new Map(all.map((f) => [f.key, f]));
}
