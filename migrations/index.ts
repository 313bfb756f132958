import { Foundation1763800000000 } from './1763800000000-foundation.js';
import { CustomerMetrics1763900000000 } from './1763900000000-customer-metrics.js';
import { Segments1764000000000 } from './1764000000000-segments.js';
import { Segmentations1764100000000 } from './1764100000000-segmentations.js';
import { Clustering1764200000000 } from './1764200000000-clustering.js';
import { LiveCustomersIndex1764300000000 } from './1764300000000-live-customers-index.js';
import { Campaigns1764400000000 } from './1764400000000-campaigns.js';
import { CampaignBucketFunction1764500000000 } from './1764500000000-campaign-bucket-function.js';
import { CustomerReach1764600000000 } from './1764600000000-customer-reach.js';
import { CampaignDraws1764700000000 } from './1764700000000-campaign-draws.js';
import { CustomerReachCode1764800000000 } from './1764800000000-customer-reach-code.js';

/** Every migration, in order. Listed explicitly so the built service and the tests load the same set. */
export const migrations = [Foundation1763800000000, CustomerMetrics1763900000000, Segments1764000000000, Segmentations1764100000000, Clustering1764200000000, LiveCustomersIndex1764300000000, Campaigns1764400000000, CampaignBucketFunction1764500000000, CustomerReach1764600000000, CampaignDraws1764700000000, CustomerReachCode1764800000000];
