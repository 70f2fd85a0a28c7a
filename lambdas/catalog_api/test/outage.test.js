'use strict';
/**
 * Dependencies down or stalled: the service answers 503 (with Retry-After) promptly instead of
 * hanging, and recovers by itself when the dependency is back.
 */
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const { Client } = require('pg');
const h = require('./harness');

let pg;
let moto;
const blackHoles = [];

// A request that hangs fails the test here instead of hanging the suite.
const HANG_LIMIT_MS = 15000;

async function call(base, method, path, body) {
  const init = { method, signal: AbortSignal.timeout(HANG_LIMIT_MS), headers: {} };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${base}${path}`, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: JSON.parse(text) };
}

/** Accepts TCP connections and never says a word: a database or endpoint that stalls. */
async function blackHole() {
  const sockets = [];
  const server = net.createServer((socket) => sockets.push(socket));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const hole = { port: server.address().port, close: () => { sockets.forEach((s) => s.destroy()); server.close(); } };
  blackHoles.push(hole);
  return hole;
}

before(async () => {
  pg = await h.startPostgres();
  moto = await h.startMoto();
  const migrated = h.npmMigrate(h.serviceEnv(pg, moto));
  assert.equal(migrated.status, 0, migrated.stderr);
});

after(() => {
  blackHoles.forEach((b) => b.close());
  if (moto) moto.stop();
  if (pg) pg.stop();
});

describe('database outage -> 503', () => {
  test('PostgreSQL stopped: 503 with Retry-After on reads and reservations; back to 201 when it returns', async () => {
    const svc = await h.startService(h.serviceEnv(pg, moto, { DB_CONNECT_TIMEOUT_MS: '1000' }));
    try {
      assert.equal((await call(svc.url, 'PUT', '/api/products/OUT-1', { name: 'x', price: 1, stock: 5 })).status, 201);
      pg.halt();
      const reserve = await call(svc.url, 'POST', '/api/products/OUT-1/reservations', { quantity: 1 });
      assert.equal(reserve.status, 503);
      assert.deepEqual(reserve.json, { error: 'database unavailable, retry later' });
      assert.equal(reserve.headers.get('retry-after'), '1');
      assert.equal((await call(svc.url, 'GET', '/api/products')).status, 503);
      assert.equal((await call(svc.url, 'GET', '/api/products/OUT-1')).status, 503);
      // Input is still judged before the database is needed: bad input stays a 400.
      assert.equal((await call(svc.url, 'POST', '/api/products/OUT-1/reservations', { quantity: 0 })).status, 400);
      assert.equal((await call(svc.url, 'GET', '/health')).status, 200);
      pg.resume();
      const back = await call(svc.url, 'POST', '/api/products/OUT-1/reservations', { quantity: 1 });
      assert.equal(back.status, 201);
      assert.equal(back.json.remaining, 4);
    } finally {
      await svc.stop();
    }
  });

  test('a database that accepts TCP but never answers: 503 after the connect timeout, not a hang', async () => {
    const hole = await blackHole();
    const svc = await h.startService(h.serviceEnv({ url: `postgres://u:p@127.0.0.1:${hole.port}/db` }, moto, { DB_CONNECT_TIMEOUT_MS: '500' }));
    try {
      const res = await call(svc.url, 'POST', '/api/products/OUT-1/reservations', { quantity: 1 });
      assert.equal(res.status, 503);
      assert.equal((await call(svc.url, 'GET', '/api/products/OUT-1')).status, 503);
    } finally {
      await svc.stop();
    }
  });

  test('a statement stuck behind a lock hits the statement timeout: 503, then the lock holder wins', async () => {
    const svc = await h.startService(h.serviceEnv(pg, moto, { DB_STATEMENT_TIMEOUT_MS: '500' }));
    const holder = new Client({ connectionString: pg.url });
    await holder.connect();
    try {
      assert.equal((await call(svc.url, 'PUT', '/api/products/LOCK-1', { name: 'x', price: 1, stock: 3 })).status, 201);
      await holder.query('BEGIN');
      await holder.query("SELECT stock FROM products WHERE sku = 'LOCK-1' FOR UPDATE");
      const stuck = await call(svc.url, 'POST', '/api/products/LOCK-1/reservations', { quantity: 1 });
      assert.equal(stuck.status, 503);
      await holder.query("UPDATE products SET stock = 1 WHERE sku = 'LOCK-1'");
      await holder.query('COMMIT');
      const after = await call(svc.url, 'POST', '/api/products/LOCK-1/reservations', { quantity: 1 });
      assert.equal(after.status, 201);
      assert.equal(after.json.remaining, 0);
      const [row] = (await holder.query("SELECT count(*)::int AS n FROM reservations WHERE sku = 'LOCK-1'")).rows;
      assert.equal(row.n, 1);
    } finally {
      await holder.end();
      await svc.stop();
    }
  });
});

describe('DynamoDB outage (002-R30)', () => {
  test('sessions endpoint refused: 503 on sessions; reservations without a session and cached listings still work', async () => {
    const closed = await h.freePort();
    const svc = await h.startService(h.serviceEnv(pg, { url: `http://127.0.0.1:${closed}` }, { CACHE_TTL_SECONDS: '5' }));
    try {
      const session = await call(svc.url, 'POST', '/api/sessions');
      assert.equal(session.status, 503);
      assert.deepEqual(session.json, { error: 'session store unavailable, retry later' });
      assert.equal((await call(svc.url, 'GET', '/api/sessions/00000000-0000-4000-8000-000000000000')).status, 503);
      assert.equal((await call(svc.url, 'POST', '/api/products/OUT-1/reservations', { quantity: 1, sessionId: '00000000-0000-4000-8000-000000000000' })).status, 503);
      assert.equal((await call(svc.url, 'POST', '/api/products/OUT-1/reservations', { quantity: 1 })).status, 201);
      const list = await call(svc.url, 'GET', '/api/products');
      assert.equal(list.status, 200);
      assert.equal(list.headers.get('x-cache'), 'miss');
    } finally {
      await svc.stop();
    }
  });

  test('a DynamoDB endpoint that never answers: 503 after the request timeout, not a hang', async () => {
    const hole = await blackHole();
    const svc = await h.startService(h.serviceEnv(pg, { url: `http://127.0.0.1:${hole.port}` }));
    try {
      assert.equal((await call(svc.url, 'POST', '/api/sessions')).status, 503);
    } finally {
      await svc.stop();
    }
  });

  test('with DynamoDB up, listings are cached for CACHE_TTL_SECONDS (x-cache hit), stock is read fresh per product', async () => {
    const svc = await h.startService(h.serviceEnv(pg, moto, { CACHE_TTL_SECONDS: '60' }));
    try {
      const first = await call(svc.url, 'GET', '/api/products?limit=50');
      const second = await call(svc.url, 'GET', '/api/products?limit=50');
      assert.equal(first.headers.get('x-cache'), 'miss');
      assert.equal(second.headers.get('x-cache'), 'hit');
      assert.deepEqual(second.json, first.json);
      assert.equal((await call(svc.url, 'PUT', '/api/products/OUT-1', { name: 'x', price: 1, stock: 77 })).status, 200);
      assert.equal((await call(svc.url, 'GET', '/api/products/OUT-1')).json.stock, 77);
    } finally {
      await svc.stop();
    }
  });
});
