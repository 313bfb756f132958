import 'reflect-metadata';
import { ConfigError, loadConfig, redactUrl } from './config.js';
import { createLogger } from './logger.js';
import { ServiceUnavailableError } from './service-errors.js';
import { startApp, type Mode } from './app.js';

const MODES: Mode[] = ['all', 'api', 'worker'];

/** `node dist/src/main.js [all|api|worker]`: the service. One clear line on stderr when it cannot start. */
async function main(): Promise<void> {
  const mode = (process.argv[2] ?? 'all') as Mode;
  if (!MODES.includes(mode)) fail(`unknown mode "${mode}": use one of ${MODES.join(', ')}`);
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }
  const logger = createLogger(config);
  let app;
  try {
    app = await startApp({ config, logger, mode });
  } catch (err) {
    if (err instanceof ServiceUnavailableError) fail(err.message);
    throw err;
  }

  const lines = [`Cible ${mode === 'all' ? 'API and workers' : mode === 'api' ? 'API' : 'workers'} started.`];
  if (app.http) {
    const base = config.publicUrl;
    lines.push(`  GraphQL API:        ${base}/graphql`);
    if (config.graphql.sandbox) lines.push(`  GraphQL sandbox:    ${base}/graphql (open it in a browser)`);
    lines.push(`  Health:             ${base}/healthz  ${base}/readyz`);
  }
  if (app.workers) lines.push(`  Workers:            ${app.workers.names.length ? app.workers.names.join(', ') : 'no queues'} (Redis ${redactUrl(config.redisUrl)})`);
  lines.push(`  Database:           ${redactUrl(config.databaseUrl)}`);
  lines.push(`  Mail catcher:       ${config.smtp.catcherUrl} (SMTP ${redactUrl(config.smtp.url)})`);
  if (app.devAdminKey) lines.push(`  Local admin key:    ${app.devAdminKey}`, `                      (header  Authorization: Bearer <key>; kept in ${config.devAdminKeyFile})`);
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    const timer = setTimeout(() => {
      logger.error('shutdown grace period exceeded; exiting');
      process.exit(1);
    }, config.shutdownGraceMs);
    timer.unref();
    app.stop().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

function fail(message: string): never {
  process.stderr.write(`cible: ${message}\n`);
  process.exit(1);
}

main().catch((err) => {
  process.stderr.write(`cible: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
