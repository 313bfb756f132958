import { z } from 'zod';
import { isValidTimeZone } from './campaigns/local-time.js';

/**
 * The one place that reads the environment. Everything else receives a `Config`.
 * Defaults give a working local service with no environment at all.
 */
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  HOST: z.string().default('0.0.0.0'),
  PUBLIC_URL: z.string().url().optional(),
  DATABASE_URL: z.string().default('postgres://postgres@127.0.0.1:5432/cible'),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(2).max(200).default(10),
  DATABASE_CREATE_IF_MISSING: bool.default(true),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_-]+$/).default('cible'),
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_PRETTY: bool.optional(),
  SMTP_URL: z.string().default('smtp://127.0.0.1:1025'),
  SMTP_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(5),
  MAIL_FROM: z.string().default('Cible <no-reply@cible.local>'),
  MAIL_CATCHER_URL: z.string().default('http://localhost:8025'),
  TWILIO_ACCOUNT_SID: z.string().default('ACdevelopment00000000000000000000'),
  TWILIO_AUTH_TOKEN: z.string().default('development-token'),
  TWILIO_FROM: z.string().default('+15005550006'),
  TWILIO_API_URL: z.string().url().optional(),
  GRAPHQL_SANDBOX: bool.optional(),
  GRAPHQL_JIT: bool.default(true),
  GRAPHQL_MAX_DEPTH: z.coerce.number().int().min(2).max(100).default(10),
  GRAPHQL_MAX_ALIASES: z.coerce.number().int().min(1).max(1000).default(20),
  GRAPHQL_MAX_COST: z.coerce.number().int().min(10).default(100000),
  GRAPHQL_BODY_LIMIT: z.string().default('25mb'),
  BULK_MAX_ROWS: z.coerce.number().int().min(1).max(100000).default(10000),
  API_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(10),
  DEV_ADMIN_KEY_FILE: z.string().default('.cible-dev-admin-key'),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10000),
  SEGMENT_NARROW_THRESHOLD: z.coerce.number().int().min(0).default(100),
  SEGMENT_MAX_DEPTH: z.coerce.number().int().min(1).max(50).default(8),
  METRICS_FULL_REFRESH_CRON: z.string().default('30 2 * * *'),
  METRICS_INCREMENTAL_SECONDS: z.coerce.number().int().min(0).default(300),
  SNAPSHOT_CRON: z.string().default('0 4 * * *'),
  SNAPSHOT_RETENTION_DAYS: z.coerce.number().int().min(0).default(400),
  LIFECYCLE_NEW_DAYS: z.coerce.number().int().min(1).default(30),
  LIFECYCLE_ACTIVE_DAYS: z.coerce.number().int().min(1).default(90),
  LIFECYCLE_AT_RISK_DAYS: z.coerce.number().int().min(1).default(180),
  LIFECYCLE_LAPSED_DAYS: z.coerce.number().int().min(1).default(365),
  LIFECYCLE_LOYAL_MIN_PURCHASES: z.coerce.number().int().min(1).default(4),
  CAMPAIGN_TICK_SECONDS: z.coerce.number().int().min(1).max(3600).default(15),
  CAMPAIGN_LATENESS_LIMIT_MINUTES: z.coerce.number().int().min(0).max(10080).default(60),
  CAMPAIGN_DEFAULT_TIME_ZONE: z.string().refine(isValidTimeZone, 'unknown IANA time zone').default('Europe/Paris'),
  CHANNEL_FALLBACK_ORDER: z
    .string()
    .transform((v) => v.split(',').map((c) => c.trim().toUpperCase()))
    .pipe(z.array(z.enum(['EMAIL', 'SMS'])).min(1).refine((a) => new Set(a).size === a.length, 'a channel is listed twice'))
    .default(['EMAIL', 'SMS']),
  CO2_GRAMS_PER_EMAIL: z.coerce.number().min(0).max(1000).default(4),
  CO2_GRAMS_PER_SMS: z.coerce.number().min(0).max(1000).default(0.014),
  LINK_SIGNING_SECRET: z.string().min(16).optional(),
});

export type Config = Readonly<{
  env: 'development' | 'production' | 'test';
  port: number;
  host: string;
  publicUrl: string;
  databaseUrl: string;
  databasePoolSize: number;
  databaseCreateIfMissing: boolean;
  redisUrl: string;
  queuePrefix: string;
  workerConcurrency: number;
  logLevel: string;
  logPretty: boolean;
  smtp: { url: string; poolSize: number; from: string; catcherUrl: string };
  twilio: { accountSid: string; authToken: string; from: string; apiUrl?: string };
  graphql: { sandbox: boolean; jit: boolean; maxDepth: number; maxAliases: number; maxCost: number; bodyLimit: string };
  bulkMaxRows: number;
  apiKeyCacheSeconds: number;
  devAdminKeyFile: string;
  shutdownGraceMs: number;
  segments: {
    /** Segments smaller than this are flagged narrow (a campaign at one needs an explicit acknowledgement). */
    narrowThreshold: number;
    /** Deepest nesting of and/or/not groups accepted in a definition. */
    maxDepth: number;
  };
  metrics: {
    /** Cron pattern of the nightly full refresh (server time zone). */
    fullRefreshCron: string;
    /** Seconds between incremental refreshes of changed customers; 0 turns them off. */
    incrementalSeconds: number;
    lifecycle: { newDays: number; activeDays: number; atRiskDays: number; lapsedDays: number; loyalMinPurchases: number };
  };
  snapshots: {
    /** Cron pattern of the scheduled snapshot of every `scheduled` segmentation (server time zone). */
    cron: string;
    /** Snapshots older than this many days are deleted by the scheduled run; 0 keeps them all. */
    retentionDays: number;
  };
  campaigns: {
    /** Seconds between two looks for due campaigns. */
    tickSeconds: number;
    /** A run found due later than this (the service was down) is skipped, not sent late; a campaign may set its own. */
    latenessLimitMinutes: number;
    /** Time zone of customers without one: quiet hours, calendar windows, local-time schedules. */
    defaultTimeZone: string;
    /** PREFERRED campaigns: channels tried after the customer's own preference, in order. */
    fallbackOrder: readonly ('EMAIL' | 'SMS')[];
    /** CO2 estimate of one message, for the forecast's "saved" figure (the brief cites 4–12 g an email). */
    co2GramsPerEmail: number;
    co2GramsPerSms: number;
    /** HMAC key of unsubscribe links (required in production). */
    linkSigningSecret: string;
  };
}>;

/** The unsubscribe-link key outside production: public, so links signed with it prove nothing. */
const DEVELOPMENT_LINK_SECRET = 'cible-development-link-secret';

/** Thrown when the environment does not validate; its message lists every bad variable. */
export class ConfigError extends Error {}

/** Parses and validates an environment (default: `process.env`) into a `Config`. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(stripEmpty(env));
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  const isDev = e.NODE_ENV !== 'production';
  // Unsubscribe links signed with a published key could be forged to unsubscribe anyone.
  if (!isDev && !e.LINK_SIGNING_SECRET) throw new ConfigError('invalid configuration: LINK_SIGNING_SECRET is required in production (16+ characters)');
  return Object.freeze({
    env: e.NODE_ENV,
    port: e.PORT,
    host: e.HOST,
    publicUrl: e.PUBLIC_URL ?? `http://localhost:${e.PORT}`,
    databaseUrl: e.DATABASE_URL,
    databasePoolSize: e.DATABASE_POOL_SIZE,
    databaseCreateIfMissing: e.DATABASE_CREATE_IF_MISSING,
    redisUrl: e.REDIS_URL,
    queuePrefix: e.QUEUE_PREFIX,
    workerConcurrency: e.WORKER_CONCURRENCY,
    logLevel: e.LOG_LEVEL,
    logPretty: e.LOG_PRETTY ?? (isDev && process.stdout.isTTY === true),
    smtp: { url: e.SMTP_URL, poolSize: e.SMTP_POOL_SIZE, from: e.MAIL_FROM, catcherUrl: e.MAIL_CATCHER_URL },
    twilio: {
      accountSid: e.TWILIO_ACCOUNT_SID,
      authToken: e.TWILIO_AUTH_TOKEN,
      from: e.TWILIO_FROM,
      apiUrl: e.TWILIO_API_URL,
    },
    graphql: {
      sandbox: e.GRAPHQL_SANDBOX ?? isDev,
      jit: e.GRAPHQL_JIT,
      maxDepth: e.GRAPHQL_MAX_DEPTH,
      maxAliases: e.GRAPHQL_MAX_ALIASES,
      maxCost: e.GRAPHQL_MAX_COST,
      bodyLimit: e.GRAPHQL_BODY_LIMIT,
    },
    bulkMaxRows: e.BULK_MAX_ROWS,
    apiKeyCacheSeconds: e.API_KEY_CACHE_SECONDS,
    devAdminKeyFile: e.DEV_ADMIN_KEY_FILE,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    segments: { narrowThreshold: e.SEGMENT_NARROW_THRESHOLD, maxDepth: e.SEGMENT_MAX_DEPTH },
    metrics: {
      fullRefreshCron: e.METRICS_FULL_REFRESH_CRON,
      incrementalSeconds: e.METRICS_INCREMENTAL_SECONDS,
      lifecycle: {
        newDays: e.LIFECYCLE_NEW_DAYS,
        activeDays: e.LIFECYCLE_ACTIVE_DAYS,
        atRiskDays: e.LIFECYCLE_AT_RISK_DAYS,
        lapsedDays: e.LIFECYCLE_LAPSED_DAYS,
        loyalMinPurchases: e.LIFECYCLE_LOYAL_MIN_PURCHASES,
      },
    },
    snapshots: { cron: e.SNAPSHOT_CRON, retentionDays: e.SNAPSHOT_RETENTION_DAYS },
    campaigns: {
      tickSeconds: e.CAMPAIGN_TICK_SECONDS,
      latenessLimitMinutes: e.CAMPAIGN_LATENESS_LIMIT_MINUTES,
      defaultTimeZone: e.CAMPAIGN_DEFAULT_TIME_ZONE,
      fallbackOrder: e.CHANNEL_FALLBACK_ORDER as ('EMAIL' | 'SMS')[],
      co2GramsPerEmail: e.CO2_GRAMS_PER_EMAIL,
      co2GramsPerSms: e.CO2_GRAMS_PER_SMS,
      linkSigningSecret: e.LINK_SIGNING_SECRET ?? DEVELOPMENT_LINK_SECRET,
    },
  });
}

/** An empty variable (`PORT=`) means "use the default", as in most twelve-factor tools. */
function stripEmpty(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && v !== '') out[k] = v;
  return out;
}

/** Removes the password from a connection URL before it is printed or logged. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
