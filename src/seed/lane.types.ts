/**
 * What a lane is: one seeded table, written by one connection in one COPY, whose rows a lane regenerates
 * from the plan alone.
 */

/** The run's parameters and the first pass's weight sums: all a lane needs to produce its rows. */
export interface Plan {
  seed: number;
  nowMs: number;
  customers: number;
  transactions: number;
  events: number;
  idBase: number;
  txWeightSum: number;
  buyers: number;
  eventWeightSum: number;
  eventPositive: number;
}

/** Counts of rows written so far, per table. */
export interface SeedCounts {
  customers: number;
  consents: number;
  consentChanges: number;
  transactions: number;
  events: number;
}

/** One seeded table: its COPY columns, its progress counter and its rows. */
export interface Lane {
  table: string;
  columns: readonly string[];
  counter: keyof SeedCounts;
  /** COPY text lines for customers `from..to` (1-based, inclusive). */
  lines(from: number, to: number): Iterable<string>;
}

