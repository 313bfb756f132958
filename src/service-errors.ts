/**
 * A backing service (PostgreSQL, Redis) that does not answer at start-up. Its message is the one line
 * the operator sees: the service, the URL tried, why, and how to start it. Never a stack trace.
 */
export class ServiceUnavailableError extends Error {
  constructor(
    readonly service: 'PostgreSQL' | 'Redis',
    readonly url: string,
    readonly why: string,
    readonly hint: string,
  ) {
    super(`Cannot reach ${service} at ${url} (${why}): ${hint}.`);
    this.name = 'ServiceUnavailableError';
  }
}
