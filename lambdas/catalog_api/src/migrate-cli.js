'use strict';
/**
 * `npm run migrate`: apply pending migrations to DATABASE_URL (or the IAM/proxy settings), and,
 * when AWS_ENDPOINT_URL points at a local DynamoDB, create the sessions and cache tables the
 * stack creates in AWS. Prints one JSON line; exits 1 on failure with one `error:` line.
 */
const { loadConfig } = require('./config');
const { createPools } = require('./db');
const { migrate } = require('./migrate');
const { ensureLocalTables } = require('./store');

async function main() {
  const config = loadConfig();
  const pools = createPools(config);
  try {
    const result = await migrate(pools.writer, { statementTimeoutMs: config.statementTimeoutMs });
    const tables = config.awsEndpoint ? await ensureLocalTables(config) : [];
    process.stdout.write(`${JSON.stringify({ ...result, createdTables: tables })}\n`);
  } finally {
    await pools.end();
  }
}

main().catch((err) => {
  process.stderr.write(`error: ${err.message || err}\n`);
  process.exit(1);
});
