'use strict';
/**
 * Environment -> one frozen settings object. Every knob the service reads is here, with its
 * default and its allowed range, so a bad value fails at start-up with one line naming the key.
 */

class ConfigError extends Error {}

function int(env, key, def, min, max) {
  const raw = env[key];
  if (raw === undefined || raw === '') return def;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(`${key} must be an integer ${min}..${max}, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(`${key} must be an integer ${min}..${max}, got ${raw}`);
  return value;
}

function loadConfig(env = process.env) {
  const inLambda = Boolean(env.AWS_LAMBDA_FUNCTION_NAME);
  const iamAuth = Boolean(env.DB_HOST) && !env.DATABASE_URL;
  if (!env.DATABASE_URL && !env.DB_HOST) {
    throw new ConfigError('set DATABASE_URL (local, password auth) or DB_HOST + DB_USER + DB_NAME (RDS Proxy, IAM auth)');
  }
  if (iamAuth) {
    for (const key of ['DB_USER', 'DB_NAME']) {
      if (!env[key]) throw new ConfigError(`${key} is required with DB_HOST (RDS Proxy, IAM auth)`);
    }
  }
  return Object.freeze({
    inLambda,
    iamAuth,
    databaseUrl: env.DATABASE_URL || null,
    readerUrl: env.DATABASE_READER_URL || env.DATABASE_URL || null,
    dbHost: env.DB_HOST || null,
    dbReaderHost: env.DB_READER_HOST || env.DB_HOST || null,
    dbPort: int(env, 'DB_PORT', 5432, 1, 65535),
    dbName: env.DB_NAME || null,
    dbUser: env.DB_USER || null,
    // TLS is always on in IAM mode (the proxy requires it); locally only when asked for.
    dbTls: iamAuth || env.DB_TLS === 'require' || env.DB_TLS === 'verify-full',
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
    // Lambda runs one request at a time per container: one connection per pool is enough and
    // keeps 10 warm containers x 2 pools far under the proxy's ~100 connections (002-R24).
    poolMax: int(env, 'PG_POOL_MAX', inLambda ? 1 : 10, 1, 200),
    connectTimeoutMs: int(env, 'DB_CONNECT_TIMEOUT_MS', 3000, 100, 60000),
    statementTimeoutMs: int(env, 'DB_STATEMENT_TIMEOUT_MS', 5000, 100, 60000),
    sessionsTable: env.SESSIONS_TABLE || 'catalog-sessions',
    cacheTable: env.CACHE_TABLE || 'catalog-cache',
    awsEndpoint: env.AWS_ENDPOINT_URL || null,
    sessionTtlSeconds: int(env, 'SESSION_TTL_SECONDS', 1800, 60, 7 * 86400),
    cacheTtlSeconds: int(env, 'CACHE_TTL_SECONDS', 5, 0, 3600),
    maxQuantity: int(env, 'MAX_QUANTITY', 100, 1, 1000000),
    maxBodyBytes: int(env, 'MAX_BODY_BYTES', 16384, 256, 1048576),
    metricsNamespace: env.METRICS_NAMESPACE || 'Webstack/CatalogApi',
    serviceName: env.SERVICE_NAME || 'catalog-api',
    metrics: env.METRICS !== 'off',
  });
}

module.exports = { loadConfig, ConfigError };
