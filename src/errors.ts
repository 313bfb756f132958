/**
 * The one error contract of the API. Domain code throws `DomainError`; the GraphQL layer turns it into
 * `extensions: { code, field, reason }`. Anything else is internal: logged with the request id and masked.
 */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'INTERNAL_SERVER_ERROR';

export class DomainError extends Error {
  readonly code: ErrorCode;
  /** Path of the offending input, e.g. `input[3].phone` or `definition.and[2].condition.operator`. */
  readonly field: string | null;
  /** Short machine-readable reason (`INVALID_PHONE`, `NOT_FOUND`, ...), stable across releases. */
  readonly reason: string;

  constructor(code: ErrorCode, message: string, options: { field?: string | null; reason?: string } = {}) {
    super(message);
    this.name = 'DomainError';
    this.code = code;
    this.field = options.field ?? null;
    this.reason = options.reason ?? code;
  }
}

export const badInput = (field: string | null, reason: string, message: string) =>
  new DomainError('BAD_USER_INPUT', message, { field, reason });

export const notFound = (field: string | null, message: string) =>
  new DomainError('NOT_FOUND', message, { field, reason: 'NOT_FOUND' });

export const conflict = (field: string | null, reason: string, message: string) =>
  new DomainError('CONFLICT', message, { field, reason });

/** A field-by-field problem with one row of a bulk write; the row is skipped, the others are written. */
export interface RowError {
  index: number;
  field: string;
  code: string;
  reason: string;
}

/**
 * A worker job found its run (snapshot, clustering) locked by another session. Retried later by the
 * queue, never reported as done: the other session may still roll back (a worker that died mid-way).
 */
export class RunBusyError extends Error {
  constructor(what: string) {
    super(`${what} is being run by another session; the job will retry`);
    this.name = 'RunBusyError';
  }
}
