import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { benchApi } from './api.bench.js';
import { benchCampaigns } from './campaigns.bench.js';
import { benchClustering } from './clustering.bench.js';
import { benchImport } from './import.bench.js';
import { benchMembers } from './members.bench.js';
import { benchMetrics } from './metrics.bench.js';
import { benchSegments } from './segments.bench.js';
import { benchSnapshots } from './snapshots.bench.js';

/**
 * `npm run bench [-- NAME ...] [--customers N] [--transactions N]`: runs the benchmarks (all by
 * default: import, api, metrics, segments, members, snapshots, clustering, campaigns) against bench databases on DATABASE_URL's server. Each prints JSON lines
 * with its figures and a same-run baseline. Data is generated deterministically on first use.
 */
const { values, positionals } = parseArgs({
  options: { customers: { type: 'string' }, transactions: { type: 'string' } },
  allowPositionals: true,
});
const customers = Number(values.customers ?? 200_000);
const transactions = Number(values.transactions ?? 2_000_000);
const all = {
  import: () => benchImport({ customers, transactions }),
  api: () => benchApi({ customers: Math.min(customers, 100_000) }),
  // The segmentation targets are stated on the 1M customers / 10M transactions base.
  metrics: () => benchMetrics({ customers: 1_000_000, transactions: 10_000_000 }),
  segments: () => benchSegments({ customers: 1_000_000, transactions: 10_000_000 }),
  members: () => benchMembers({ customers: 1_000_000, transactions: 10_000_000 }),
  snapshots: () => benchSnapshots({ customers: 1_000_000, transactions: 10_000_000 }),
  clustering: () => benchClustering({ customers: 1_000_000, transactions: 10_000_000 }),
  campaigns: () => benchCampaigns({ customers: 1_000_000, transactions: 10_000_000 }),
};
const names = positionals.length ? positionals : Object.keys(all);
for (const name of names) {
  const run = all[name as keyof typeof all];
  if (!run) {
    process.stderr.write(`unknown benchmark "${name}"; known: ${Object.keys(all).join(', ')}\n`);
    process.exit(1);
  }
  await run();
}
process.exit(0);
