import http from 'node:http';
import express from 'express';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault } from '@apollo/server/plugin/landingPage/default';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import type { Config } from '../config.js';
import type { Db } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { Services } from '../services.js';
import { keyFromHeaders } from '../auth/api-keys.js';
import { authorizeOperationPlugin } from '../auth/authorize-operation.js';
import { createContext, type Context } from '../resolvers/context.js';
import { buildCibleSchema } from '../resolvers/schema.js';
import { errorLoggingPlugin, formatError } from './graphql-errors.js';
import { jitGateway } from './jit-executor.js';
import { queryCostPlugin } from './query-cost.js';
import { requestLog } from './request-log.js';
import { checkReadiness } from './readiness.js';

export interface HttpServer {
  server: http.Server;
  apollo: ApolloServer<Context>;
  /** Listening address, once `listen` resolved. */
  url: string;
  close(): Promise<void>;
}

/**
 * The HTTP server: GraphQL at /graphql, /healthz and /readyz. The tracking pixel, click redirect,
 * unsubscribe and provider webhooks of the delivery issues mount on the same express app.
 */
export async function startHttpServer(options: { config: Config; db: Db; services: Services; logger: Logger; port?: number; host?: string }): Promise<HttpServer> {
  const { config, db, services, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  const server = http.createServer(app);

  app.use(requestLog(logger, { ignore: (path) => path === '/healthz' || path === '/readyz' }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const report = await checkReadiness({ db, redis: services.redis });
    res.status(report.ready ? 200 : 503).json(report);
  });

  const schema = await buildCibleSchema();
  const apollo = new ApolloServer<Context>({
    ...(config.graphql.jit ? { gateway: jitGateway(schema) } : { schema }),
    introspection: true,
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT and stops HTTP, workers and pools in order.
    stopOnTerminationSignals: false,
    formatError,
    // Report limit violations as validation errors (400) instead of throwing from inside validation,
    // which Apollo would answer with a 500.
    validationRules: [
      maxDepthRule({ n: config.graphql.maxDepth, ignoreIntrospection: true, propagateOnRejection: false, onReject: [(ctx, err) => ctx?.reportError(err)] }),
      maxAliasesRule({ n: config.graphql.maxAliases, propagateOnRejection: false, onReject: [(ctx, err) => ctx?.reportError(err)] }),
    ],
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer: server }),
      // No HTTP cache hints here (personal data, per-key authorisation); the plugin would otherwise
      // wrap every field resolver (measured: ~15% of CPU on a 50-customer page).
      ApolloServerPluginCacheControlDisabled(),
      config.graphql.sandbox ? ApolloServerPluginLandingPageLocalDefault({ embed: true, includeCookies: false }) : ApolloServerPluginLandingPageDisabled(),
      authorizeOperationPlugin({ publicIntrospection: config.graphql.sandbox }),
      queryCostPlugin({ maxCost: config.graphql.maxCost }),
      errorLoggingPlugin(),
    ],
  });
  await apollo.start();

  app.use(
    '/graphql',
    express.json({ limit: config.graphql.bodyLimit }),
    expressMiddleware(apollo, {
      context: async ({ req }) =>
        createContext({
          requestId: req.id,
          principal: await services.apiKeys.verify(keyFromHeaders(req.headers)),
          db,
          config,
          logger: req.log,
          services,
        }),
    }),
  );

  // Body too large or malformed JSON: a GraphQL-shaped error, never an HTML page.
  app.use((err: { type?: string; status?: number; message?: string }, req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (res.headersSent) return next(err);
    const status = err.status && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status === 500) req.log.error({ err }, 'unhandled HTTP error');
    const code = err.type === 'entity.too.large' ? 'PAYLOAD_TOO_LARGE' : status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
    res.status(status).json({
      errors: [{ message: status === 500 ? 'Internal server error' : (err.message ?? 'Bad request'), extensions: { code, field: null, reason: err.type ?? code } }],
    });
  });

  const port = options.port ?? config.port;
  const host = options.host ?? config.host;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return {
    server,
    apollo,
    url: `http://${host === '0.0.0.0' || host === '::' ? 'localhost' : host}:${boundPort}`,
    async close() {
      await apollo.stop();
    },
  };
}
