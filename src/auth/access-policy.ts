import { Role } from '../schema/enums.js';

const { ADMIN, MARKETER, ANALYST, INGEST } = Role;
const READERS = [ADMIN, MARKETER, ANALYST] as const;
const EVERYONE = [ADMIN, MARKETER, ANALYST, INGEST] as const;
const CUSTOMER_WRITERS = [ADMIN, INGEST] as const;
/** Campaigns and contact policies: changed by admins and marketers, read by analysts. */
const CAMPAIGN_WRITERS = [ADMIN, MARKETER] as const;

/**
 * Who may call each root operation: `Type.field` -> roles. This table is the authorisation of the
 * API: an operation missing from it is refused to everyone, and a test walks every root field of the
 * built schema so that a new operation without a line here fails the build.
 *
 * - admin: everything, including API keys and the attribute catalogue;
 * - marketer: segments, campaigns and policies; reads customers;
 * - analyst: read-only, with contact fields masked;
 * - ingest: customer data writes only (and the catalogue it must write against).
 */
export const ACCESS_POLICY: Readonly<Record<string, readonly Role[]>> = {
  'Query.viewer': EVERYONE,
  'Query.customer': READERS,
  'Query.customers': READERS,
  'Query.attributeDefinitions': EVERYONE,
  'Query.apiKeys': [ADMIN],
  'Query.metricsRefreshes': READERS,
  'Query.metricCutPoints': READERS,
  'Query.segmentFields': READERS,
  'Query.segmentPreview': READERS,
  'Query.segmentProfile': READERS,
  'Query.segment': READERS,
  'Query.segments': READERS,
  'Query.segmentation': READERS,
  'Query.segmentations': READERS,
  'Query.clusteringRun': READERS,
  'Query.clusteringRuns': READERS,
  'Query.transitionMatrix': READERS,
  'Query.campaigns': READERS,
  'Query.campaign': READERS,
  'Query.campaignRuns': READERS,
  'Query.campaignAudience': READERS,
  'Query.campaignOutcomes': READERS,
  'Query.renderPreview': READERS,
  'Query.messages': READERS,
  'Query.contactPolicies': READERS,
  'Query.contactPolicy': READERS,

  'Mutation.upsertCustomers': CUSTOMER_WRITERS,
  'Mutation.recordTransactions': CUSTOMER_WRITERS,
  'Mutation.trackEvents': CUSTOMER_WRITERS,
  'Mutation.setConsent': CUSTOMER_WRITERS,
  'Mutation.defineAttribute': [ADMIN],
  'Mutation.deleteAttributeDefinition': [ADMIN],
  'Mutation.refreshCustomerMetrics': [ADMIN, MARKETER],
  'Mutation.createSegment': [ADMIN, MARKETER],
  'Mutation.updateSegment': [ADMIN, MARKETER],
  'Mutation.deleteSegment': [ADMIN, MARKETER],
  'Mutation.createSegmentation': [ADMIN, MARKETER],
  'Mutation.updateSegmentation': [ADMIN, MARKETER],
  'Mutation.deleteSegmentation': [ADMIN, MARKETER],
  'Mutation.snapshotSegmentation': [ADMIN, MARKETER],
  'Mutation.runClustering': [ADMIN, MARKETER],
  'Mutation.createCampaign': CAMPAIGN_WRITERS,
  'Mutation.updateCampaign': CAMPAIGN_WRITERS,
  'Mutation.deleteCampaign': CAMPAIGN_WRITERS,
  'Mutation.duplicateCampaign': CAMPAIGN_WRITERS,
  'Mutation.launchCampaign': CAMPAIGN_WRITERS,
  'Mutation.scheduleCampaign': CAMPAIGN_WRITERS,
  'Mutation.pauseCampaign': CAMPAIGN_WRITERS,
  'Mutation.resumeCampaign': CAMPAIGN_WRITERS,
  'Mutation.cancelCampaign': CAMPAIGN_WRITERS,
  'Mutation.createContactPolicy': CAMPAIGN_WRITERS,
  'Mutation.updateContactPolicy': CAMPAIGN_WRITERS,
  'Mutation.deleteContactPolicy': CAMPAIGN_WRITERS,
  'Mutation.setContactPreferences': [ADMIN, MARKETER, INGEST],
  'Mutation.createApiKey': [ADMIN],
  'Mutation.revokeApiKey': [ADMIN],
};

/** True when `role` may call the root field `type.field`. Unknown operations are refused. */
export function isAllowed(role: Role, type: string, field: string): boolean {
  return ACCESS_POLICY[`${type}.${field}`]?.includes(role) ?? false;
}

/** Roles that see contact fields (email, phone, street address) masked. */
export const MASKED_CONTACT_ROLES: ReadonlySet<Role> = new Set([ANALYST]);
