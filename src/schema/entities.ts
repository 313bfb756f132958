import { ApiKey } from './api-key.entity.js';
import { AttributeDefinition } from './attribute-definition.entity.js';
import { ConsentChange, CustomerConsent } from './consent.entity.js';
import { CustomerEvent } from './customer-event.entity.js';
import { Customer } from './customer.entity.js';
import { Transaction } from './transaction.entity.js';
import { SegmentEntity, SegmentMember } from './segment.entity.js';
import { ClusteringRunEntity, SegmentationEntity, SegmentationSegment, SegmentationSnapshotBlock, SegmentationSnapshotEntity } from './segmentation.entity.js';
import { BlockedAddressEntity, CampaignDrawEntity, CampaignEntity, CampaignRunEntity, CampaignSegmentEntity, CampaignVariantEntity, ContactPolicyEntity, CustomerContactPreferencesEntity, MessageEntity, ResponseEntity } from './campaign.entity.js';
import { CustomerMetrics, CustomerMetricsDirty, MetricCutPointsRow, MetricsRefresh } from './customer-metrics.types.js';

/** Every TypeORM entity, for the DataSource. */
export const entities = [
  Customer,
  CustomerConsent,
  ConsentChange,
  Transaction,
  CustomerEvent,
  AttributeDefinition,
  ApiKey,
  CustomerMetrics,
  CustomerMetricsDirty,
  MetricCutPointsRow,
  MetricsRefresh,
  SegmentEntity,
  SegmentMember,
  SegmentationEntity,
  SegmentationSegment,
  SegmentationSnapshotEntity,
  SegmentationSnapshotBlock,
  ClusteringRunEntity,
  ContactPolicyEntity,
  CustomerContactPreferencesEntity,
  BlockedAddressEntity,
  CampaignEntity,
  CampaignSegmentEntity,
  CampaignVariantEntity,
  CampaignDrawEntity,
  CampaignRunEntity,
  MessageEntity,
  ResponseEntity,
];
