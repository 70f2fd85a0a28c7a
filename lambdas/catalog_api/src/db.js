'use strict';
/**
 * PostgreSQL pools: a writer (reservations, restocks, migrations) and a reader (listings).
 *
 * Locally both come from DATABASE_URL / DATABASE_READER_URL with password auth. In Lambda they
 * point at the RDS Proxy's read/write and read-only endpoints (DB_HOST / DB_READER_HOST) with a
 * fresh IAM auth token per new connection (pg calls `password` when it opens one; a token is
 * valid for 15 minutes and only checked at connect time) over TLS with the default CA store:
 * RDS Proxy presents an Amazon-issued certificate, so no RDS CA bundle is needed.
 */
const { Pool } = require('pg');

function tokenSigner(config) {
  // Loaded lazily so local runs never touch the AWS credential chain for the database.
  const { Signer } = require('@aws-sdk/rds-signer');
  const signer = new Signer({ hostname: config.dbHost, port: config.dbPort, username: config.dbUser, region: config.region });
  return () => signer.getAuthToken();
}

function poolOptions(config, role) {
  const common = {
    max: config.poolMax,
    connectionTimeoutMillis: config.connectTimeoutMs,
    // Client-side cap: a stuck server or a black-holed socket cannot hold a request longer than
    // the statement timeout plus a margin, whatever the server does.
    query_timeout: config.statementTimeoutMs + 1000,
    idleTimeoutMillis: 60000,
    // Lambda freezes the container between invocations; TCP keepalive lets a thawed container
    // notice a connection the proxy closed while it was frozen.
    keepAlive: true,
    application_name: config.serviceName,
  };
  if (config.iamAuth) {
    return {
      ...common,
      host: role === 'reader' ? config.dbReaderHost : config.dbHost,
      port: config.dbPort,
      database: config.dbName,
      user: config.dbUser,
      password: tokenSigner({ ...config, dbHost: role === 'reader' ? config.dbReaderHost : config.dbHost }),
      ssl: { rejectUnauthorized: true },
      // No statement_timeout startup parameter behind the proxy: the migrate command stores it
      // on the role (ALTER ROLE ... SET), which needs no per-session SET that could pin.
    };
  }
  const url = role === 'reader' ? config.readerUrl : config.databaseUrl;
  return {
    ...common,
    connectionString: url,
    ssl: config.dbTls ? { rejectUnauthorized: process.env.DB_TLS === 'verify-full' } : undefined,
    statement_timeout: config.statementTimeoutMs,
    idle_in_transaction_session_timeout: config.statementTimeoutMs * 2,
  };
}

function createPools(config) {
  const writer = new Pool(poolOptions(config, 'writer'));
  const reader = new Pool(poolOptions(config, 'reader'));
  // An idle client that errors (server restart, proxy idle close) must not crash the process.
  for (const pool of [writer, reader]) pool.on('error', () => {});
  return {
    writer,
    reader,
    async end() {
      await Promise.allSettled([writer.end(), reader.end()]);
    },
  };
}

module.exports = { createPools, poolOptions };
