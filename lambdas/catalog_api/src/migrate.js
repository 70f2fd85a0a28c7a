'use strict';
/**
 * Versioned SQL migrations (migrations/NNNN_name.sql), each applied exactly once.
 *
 * One transaction holds pg_advisory_xact_lock for the whole run, so concurrent migrate calls
 * (two deploys, a retried Invocation, tests) queue behind each other; the first applies what is
 * pending, the rest find nothing left. A transaction-scoped lock is released by COMMIT/ROLLBACK
 * (nothing leaks if the caller dies) and pins an RDS Proxy connection only for that transaction.
 * All pending files apply in that one transaction: a failing file leaves the schema untouched.
 * An applied file whose checksum changed is an error (edit by adding a new file, not in place).
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');

const MIGRATIONS_DIR = path.join(__dirname, '..', 'migrations');
// Any fixed 64-bit key; the same in every copy of the service.
const LOCK_KEY = '7305220211';

function readMigrations(dir = MIGRATIONS_DIR) {
  return fs
    .readdirSync(dir)
    .filter((name) => /^\d{4}_[a-z0-9_]+\.sql$/.test(name))
    .sort()
    .map((name) => {
      const sql = fs.readFileSync(path.join(dir, name), 'utf8');
      return { version: Number(name.slice(0, 4)), name, sql, checksum: crypto.createHash('sha256').update(sql).digest('hex') };
    });
}

async function migrate(pool, { dir = MIGRATIONS_DIR, statementTimeoutMs = null } = {}) {
  const files = readMigrations(dir);
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query('SELECT version, name, checksum FROM schema_migrations');
    const applied = new Map(rows.map((r) => [r.version, r]));
    const newly = [];
    for (const file of files) {
      const done = applied.get(file.version);
      if (done) {
        if (done.checksum !== file.checksum) throw new Error(`migration ${file.name} was changed after it was applied (checksum differs); add a new file instead`);
        continue;
      }
      await client.query(file.sql);
      await client.query('INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)', [file.version, file.name, file.checksum]);
      newly.push(file.name);
    }
    if (statementTimeoutMs) {
      // Stored on the role so every later session (through RDS Proxy too) starts with it and the
      // service never issues a session SET, which would pin proxy connections.
      const ms = Number(statementTimeoutMs);
      if (!Number.isInteger(ms) || ms < 100) throw new Error(`statement timeout must be an integer >= 100 ms, got ${statementTimeoutMs}`);
      await client.query(`ALTER ROLE CURRENT_USER SET statement_timeout = '${ms}ms'`);
      await client.query(`ALTER ROLE CURRENT_USER SET idle_in_transaction_session_timeout = '${ms * 2}ms'`);
    }
    await client.query('COMMIT');
    return { applied: newly, current: files.length ? files[files.length - 1].version : 0 };
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}

module.exports = { migrate, readMigrations, MIGRATIONS_DIR };
