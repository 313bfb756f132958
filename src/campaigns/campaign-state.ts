import { conflict } from '../errors.js';

/*
 * The campaign state machine, in one table. Users move a campaign with the commands below; the
 * scheduler moves it when a run starts or ends (`RUN_STARTED`, `RUN_FINISHED`, `RUN_FAILED`,
 * `RUN_SKIPPED`). Anything not in the table is a CONFLICT naming the current state.
 *
 *   DRAFT ──launch──▶ RUNNING ──run finished──▶ COMPLETED
 *     │                  ▲  │
 *     └──schedule──▶ SCHEDULED ◀──(recurring: back after each run)
 *   SCHEDULED / RUNNING ──pause──▶ PAUSED ──resume──▶ SCHEDULED or RUNNING
 *   SCHEDULED / RUNNING / PAUSED ──cancel──▶ CANCELLED;   a run failing for good ──▶ FAILED
 */

export type CampaignStatus = 'DRAFT' | 'SCHEDULED' | 'RUNNING' | 'PAUSED' | 'COMPLETED' | 'CANCELLED' | 'FAILED';

export type CampaignCommand = 'launch' | 'schedule' | 'pause' | 'resume' | 'cancel' | 'RUN_STARTED' | 'RUN_FINISHED' | 'RUN_FAILED' | 'RUN_SKIPPED';

/** Legal moves: command -> states it may start from -> where it goes (a function when it depends on the campaign). */
export interface TransitionFacts {
  /** A recurring schedule returns to SCHEDULED after each run. */
  isRecurring: boolean;
  /** The campaign has a run not yet finished (a one-shot campaign's resume goes back to RUNNING). */
  hasOpenRun: boolean;
}

const TABLE: Record<CampaignCommand, Partial<Record<CampaignStatus, (f: TransitionFacts) => CampaignStatus>>> = {
  launch: { DRAFT: () => 'RUNNING' },
  schedule: { DRAFT: () => 'SCHEDULED' },
  pause: { SCHEDULED: () => 'PAUSED', RUNNING: () => 'PAUSED' },
  // A recurring campaign stays SCHEDULED during its runs (the scheduler fires only SCHEDULED ones).
  resume: { PAUSED: (f) => (f.hasOpenRun && !f.isRecurring ? 'RUNNING' : 'SCHEDULED') },
  cancel: { SCHEDULED: () => 'CANCELLED', RUNNING: () => 'CANCELLED', PAUSED: () => 'CANCELLED' },
  RUN_STARTED: { SCHEDULED: () => 'RUNNING', RUNNING: () => 'RUNNING' },
  RUN_FINISHED: { RUNNING: (f) => (f.isRecurring ? 'SCHEDULED' : 'COMPLETED') },
  RUN_FAILED: { RUNNING: () => 'FAILED', SCHEDULED: () => 'FAILED' },
  // A one-shot run skipped for lateness pauses the campaign: resume sends it now, cancel drops it.
  RUN_SKIPPED: { SCHEDULED: (f) => (f.isRecurring ? 'SCHEDULED' : 'PAUSED') },
};

/** The state after `command`, or null when the move is not legal from `from`. */
export function nextStatus(from: CampaignStatus, command: CampaignCommand, facts: TransitionFacts): CampaignStatus | null {
  return TABLE[command][from]?.(facts) ?? null;
}

/** Like nextStatus, but an illegal move is a CONFLICT naming the current state. */
export function transition(from: CampaignStatus, command: CampaignCommand, facts: TransitionFacts, field = 'id'): CampaignStatus {
  const to = nextStatus(from, command, facts);
  if (to === null) throw conflict(field, `CAMPAIGN_${from}`, `cannot ${command.toLowerCase().replace('_', ' ')} a campaign that is ${from}`);
  return to;
}

/** States in which content and targeting may still change. */
export const isEditable = (status: CampaignStatus) => status === 'DRAFT';

