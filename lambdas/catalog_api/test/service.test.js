'use strict';
/**
 * Black-box tests of the local contract (`npm run migrate`, `npm start`) against a real
 * PostgreSQL and moto's DynamoDB: products, the flash sale, idempotency, sessions, bad input.
 */
const { test, before, after, describe } = require('node:test');
const assert = require('node:assert/strict');
const { Client } = require('pg');
const h = require('./harness');

let pg;
let moto;
let svc;
let env;

before(async () => {
  pg = await h.startPostgres();
  moto = await h.startMoto();
  // 400 requests share 20 connections here; DB_CONNECT_TIMEOUT_MS also bounds the wait for a
  // free pool slot, and on a busy CI machine the queue can take seconds. This file checks
  // correctness under contention, not load shedding (outage.test.js does that).
  env = h.serviceEnv(pg, moto, { PG_POOL_MAX: '20', DB_CONNECT_TIMEOUT_MS: '30000', DB_STATEMENT_TIMEOUT_MS: '30000' });
  const migrated = h.npmMigrate(env);
  assert.equal(migrated.status, 0, migrated.stderr);
  svc = await h.startService(env);
});

after(async () => {
  if (svc) await svc.stop();
  if (moto) moto.stop();
  if (pg) pg.stop();
});

async function call(method, path, { body, headers = {}, raw } = {}) {
  const init = { method, headers: { ...headers } };
  if (raw !== undefined) init.body = raw;
  else if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers['content-type'] = init.headers['content-type'] || 'application/json';
  }
  const res = await fetch(`${svc.url}${path}`, init);
  const text = await res.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, json, text };
}

async function sql(text, params) {
  const client = new Client({ connectionString: pg.url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

async function putProduct(sku, stock, name = `Product ${sku}`, price = 19.99) {
  const res = await call('PUT', `/api/products/${sku}`, { body: { name, price, stock } });
  assert.ok(res.status === 201 || res.status === 200, res.text);
  return res;
}

describe('products', () => {
  test('PUT creates (201) then restocks (200); GET returns it', async () => {
    const created = await call('PUT', '/api/products/SKU-100', { body: { name: 'Red mug', price: 12.5, stock: 7 } });
    assert.equal(created.status, 201);
    assert.equal(created.headers.get('location'), '/api/products/SKU-100');
    assert.deepEqual({ ...created.json, updatedAt: undefined }, { sku: 'SKU-100', name: 'Red mug', price: 12.5, stock: 7, updatedAt: undefined });
    const restocked = await call('PUT', '/api/products/SKU-100', { body: { name: 'Red mug', price: 11, stock: 40 } });
    assert.equal(restocked.status, 200);
    assert.equal(restocked.json.stock, 40);
    const got = await call('GET', '/api/products/SKU-100');
    assert.equal(got.status, 200);
    assert.equal(got.json.price, 11);
    assert.equal(got.json.stock, 40);
    assert.equal(got.headers.get('content-type'), 'application/json; charset=utf-8');
  });

  test('list is paginated by an opaque cursor, in SKU order, every product exactly once', async () => {
    for (let i = 0; i < 7; i += 1) await putProduct(`PAGE-${i}`, i);
    const seen = [];
    let cursor = null;
    let pages = 0;
    do {
      const res = await call('GET', `/api/products?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(res.status, 200, res.text);
      assert.ok(res.json.items.length <= 3);
      seen.push(...res.json.items.map((p) => p.sku));
      cursor = res.json.nextCursor;
      pages += 1;
    } while (cursor && pages < 20);
    const pageSkus = seen.filter((s) => s.startsWith('PAGE-'));
    assert.deepEqual(pageSkus, ['PAGE-0', 'PAGE-1', 'PAGE-2', 'PAGE-3', 'PAGE-4', 'PAGE-5', 'PAGE-6']);
    assert.deepEqual([...seen].sort(), seen);
    assert.equal(new Set(seen).size, seen.length);
  });

  test('GET of an unknown SKU is a 404 JSON error', async () => {
    const res = await call('GET', '/api/products/NOPE-404');
    assert.equal(res.status, 404);
    assert.equal(res.json.error, 'unknown sku "NOPE-404"');
  });
});

describe('flash sale', () => {
  test('400 concurrent reservations for stock 150: exactly 150 succeed, stock ends at 0, never negative', async () => {
    await putProduct('FLASH-1', 150);
    const results = await Promise.all(Array.from({ length: 400 }, () => call('POST', '/api/products/FLASH-1/reservations', { body: { quantity: 1 } })));
    const statuses = results.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 150);
    assert.equal(statuses.filter((s) => s === 409).length, 250);
    assert.deepEqual([...new Set(statuses)].sort(), [201, 409]);
    const remaining = results.filter((r) => r.status === 201).map((r) => r.json.remaining).sort((a, b) => a - b);
    // Reservation ids are UUIDv7 (time-ordered: they append to the primary key's right edge).
    for (const r of results.filter((x) => x.status === 201)) assert.match(r.json.reservationId, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Each success saw a distinct stock level: 149, 148, ... 0.
    assert.deepEqual(remaining, Array.from({ length: 150 }, (_, i) => i));
    const [row] = await sql("SELECT stock, (SELECT count(*)::int FROM reservations WHERE sku = 'FLASH-1') AS n, (SELECT coalesce(sum(quantity), 0)::int FROM reservations WHERE sku = 'FLASH-1') AS reserved FROM products WHERE sku = 'FLASH-1'");
    assert.deepEqual(row, { stock: 0, n: 150, reserved: 150 });
  });

  test('mixed quantities: reserved units never exceed stock; final stock = stock - reserved', async () => {
    await putProduct('FLASH-2', 100);
    const quantities = Array.from({ length: 200 }, (_, i) => (i % 3) + 1);
    const results = await Promise.all(quantities.map((q) => call('POST', '/api/products/FLASH-2/reservations', { body: { quantity: q } })));
    const reserved = results.reduce((sum, r, i) => sum + (r.status === 201 ? quantities[i] : 0), 0);
    for (const r of results) assert.ok(r.status === 201 || r.status === 409, r.text);
    const [row] = await sql("SELECT stock FROM products WHERE sku = 'FLASH-2'");
    assert.ok(reserved <= 100);
    assert.ok(row.stock >= 0);
    assert.equal(row.stock, 100 - reserved);
    const [db] = await sql("SELECT coalesce(sum(quantity), 0)::int AS units FROM reservations WHERE sku = 'FLASH-2'");
    assert.equal(db.units, reserved);
  });

  test('quantity larger than the stock left is a 409 naming sku and request, stock untouched', async () => {
    await putProduct('FLASH-3', 2);
    const res = await call('POST', '/api/products/FLASH-3/reservations', { body: { quantity: 3 } });
    assert.equal(res.status, 409);
    assert.deepEqual(res.json, { error: 'insufficient stock', sku: 'FLASH-3', requested: 3 });
    const [row] = await sql("SELECT stock FROM products WHERE sku = 'FLASH-3'");
    assert.equal(row.stock, 2);
  });
});

describe('idempotency', () => {
  test('a retry with the same Idempotency-Key returns the first result and reserves once', async () => {
    await putProduct('IDEM-1', 10);
    const headers = { 'idempotency-key': 'order-7f3a-1' };
    const first = await call('POST', '/api/products/IDEM-1/reservations', { body: { quantity: 2 }, headers });
    const second = await call('POST', '/api/products/IDEM-1/reservations', { body: { quantity: 2 }, headers });
    assert.equal(first.status, 201);
    assert.equal(first.headers.get('idempotent-replayed'), 'false');
    assert.equal(second.status, 201);
    assert.equal(second.headers.get('idempotent-replayed'), 'true');
    assert.deepEqual(second.json, first.json);
    assert.equal(first.json.remaining, 8);
    const [row] = await sql("SELECT stock, (SELECT count(*)::int FROM reservations WHERE sku = 'IDEM-1') AS n FROM products WHERE sku = 'IDEM-1'");
    assert.deepEqual(row, { stock: 8, n: 1 });
  });

  test('50 concurrent requests with one key: one reservation, 50 identical answers', async () => {
    await putProduct('IDEM-2', 10);
    const headers = { 'idempotency-key': 'concurrent-key-1' };
    const results = await Promise.all(Array.from({ length: 50 }, () => call('POST', '/api/products/IDEM-2/reservations', { body: { quantity: 1 }, headers })));
    assert.deepEqual([...new Set(results.map((r) => r.status))], [201]);
    assert.equal(new Set(results.map((r) => r.json.reservationId)).size, 1);
    assert.equal(results.filter((r) => r.headers.get('idempotent-replayed') === 'false').length, 1);
    const [row] = await sql("SELECT stock, (SELECT count(*)::int FROM reservations WHERE sku = 'IDEM-2') AS n FROM products WHERE sku = 'IDEM-2'");
    assert.deepEqual(row, { stock: 9, n: 1 });
  });

  test('flash sale with retries: 100 clients x 3 attempts each on their own key, stock 60 -> 60 reservations', async () => {
    await putProduct('IDEM-3', 60);
    const attempts = [];
    for (let c = 0; c < 100; c += 1) {
      for (let a = 0; a < 3; a += 1) attempts.push(call('POST', '/api/products/IDEM-3/reservations', { body: { quantity: 1 }, headers: { 'idempotency-key': `client-${c}` } }).then((r) => ({ c, r })));
    }
    const results = await Promise.all(attempts);
    const perClient = new Map();
    for (const { c, r } of results) {
      if (!perClient.has(c)) perClient.set(c, new Set());
      perClient.get(c).add(`${r.status}:${r.json.reservationId || ''}`);
    }
    // Every client saw one answer on all its attempts.
    for (const [c, answers] of perClient) assert.equal(answers.size, 1, `client ${c}: ${[...answers].join(' ')}\n${svc.logs.stderr.split('\n').filter((l) => l.includes('"level":"error"')).slice(-3).join('\n')}`);
    const winners = [...perClient.values()].filter((a) => [...a][0].startsWith('201')).length;
    assert.equal(winners, 60);
    const [row] = await sql("SELECT stock, (SELECT count(*)::int FROM reservations WHERE sku = 'IDEM-3') AS n FROM products WHERE sku = 'IDEM-3'");
    assert.deepEqual(row, { stock: 0, n: 60 });
  });

  test('a sold-out answer is replayed too, even after a restock', async () => {
    await putProduct('IDEM-4', 0);
    const headers = { 'idempotency-key': 'sold-out-once' };
    const first = await call('POST', '/api/products/IDEM-4/reservations', { body: { quantity: 1 }, headers });
    assert.equal(first.status, 409);
    await putProduct('IDEM-4', 5);
    const retry = await call('POST', '/api/products/IDEM-4/reservations', { body: { quantity: 1 }, headers });
    assert.equal(retry.status, 409);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    const [row] = await sql("SELECT stock FROM products WHERE sku = 'IDEM-4'");
    assert.equal(row.stock, 5);
  });

  test('the same key with a different request is a 422, nothing reserved', async () => {
    await putProduct('IDEM-5', 10);
    const headers = { 'idempotency-key': 'reused-key' };
    assert.equal((await call('POST', '/api/products/IDEM-5/reservations', { body: { quantity: 1 }, headers })).status, 201);
    const other = await call('POST', '/api/products/IDEM-5/reservations', { body: { quantity: 4 }, headers });
    assert.equal(other.status, 422);
    assert.match(other.json.error, /Idempotency-Key was already used with a different request/);
    const [row] = await sql("SELECT stock FROM products WHERE sku = 'IDEM-5'");
    assert.equal(row.stock, 9);
  });
});

describe('sessions and cart (002-R30, 002-R11)', () => {
  test('002-R30 a user gets one live session (GSI byUser); a reservation lands in its cart; others cannot see it', async () => {
    const first = await call('POST', '/api/sessions', { headers: { 'x-catalog-user': 'user-42' } });
    assert.equal(first.status, 201);
    assert.match(first.json.sessionId, /^[0-9a-f-]{36}$/);
    assert.equal(first.json.userId, 'user-42');
    const again = await call('POST', '/api/sessions', { headers: { 'x-catalog-user': 'user-42' } });
    assert.equal(again.status, 200);
    assert.equal(again.json.sessionId, first.json.sessionId);
    const other = await call('POST', '/api/sessions', { headers: { 'x-catalog-user': 'user-43' } });
    assert.notEqual(other.json.sessionId, first.json.sessionId);

    await putProduct('CART-1', 5);
    const headers = { 'idempotency-key': 'cart-res-1' };
    const res = await call('POST', '/api/products/CART-1/reservations', { body: { quantity: 2, sessionId: first.json.sessionId }, headers });
    assert.equal(res.status, 201);
    assert.equal(res.json.inCart, true);
    await call('POST', '/api/products/CART-1/reservations', { body: { quantity: 2, sessionId: first.json.sessionId }, headers });
    const foreign = await call('GET', `/api/sessions/${first.json.sessionId}`, { headers: { 'x-catalog-user': 'user-43' } });
    assert.equal(foreign.status, 404);
    const foreignReserve = await call('POST', '/api/products/CART-1/reservations', { body: { quantity: 1, sessionId: first.json.sessionId }, headers: { 'x-catalog-user': 'user-43' } });
    assert.equal(foreignReserve.status, 404);
    const session = await call('GET', `/api/sessions/${first.json.sessionId}`, { headers: { 'x-catalog-user': 'user-42' } });
    assert.equal(session.status, 200);
    assert.deepEqual(session.json.cart.map((l) => [l.reservationId, l.sku, l.quantity]), [[res.json.reservationId, 'CART-1', 2]]);
  });

  test('002-R30 anonymous sessions are distinct; an expired session is 404 even before DynamoDB deletes it', async () => {
    const a = await call('POST', '/api/sessions', { raw: '{}', headers: { 'content-type': 'application/json' } });
    const b = await call('POST', '/api/sessions');
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    assert.notEqual(a.json.sessionId, b.json.sessionId);
    const { DynamoDBClient, UpdateItemCommand } = require('@aws-sdk/client-dynamodb');
    const ddb = new DynamoDBClient({ endpoint: moto.url, region: 'us-east-1', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    await ddb.send(new UpdateItemCommand({ TableName: 'sessions-test', Key: { sessionId: { S: a.json.sessionId } }, UpdateExpression: 'SET expiresAt = :p', ExpressionAttributeValues: { ':p': { N: '1000' } } }));
    const gone = await call('GET', `/api/sessions/${a.json.sessionId}`);
    assert.equal(gone.status, 404);
    const reserve = await call('POST', '/api/products/CART-1/reservations', { body: { quantity: 1, sessionId: a.json.sessionId } });
    assert.equal(reserve.status, 404);
    assert.match(reserve.json.error, /unknown or expired session/);
  });
});

describe('bad input is a 4xx JSON error, never a 5xx', () => {
  const cases = [
    ['bad JSON', 'POST', '/api/products/BAD-1/reservations', { raw: '{"quantity":', headers: { 'content-type': 'application/json' } }, 400, /not valid JSON/],
    ['empty body', 'POST', '/api/products/BAD-1/reservations', { raw: '', headers: { 'content-type': 'application/json' } }, 400, /body is required/],
    ['JSON array', 'POST', '/api/products/BAD-1/reservations', { body: [1] }, 400, /must be a JSON object/],
    ['invalid UTF-8', 'POST', '/api/products/BAD-1/reservations', { raw: Buffer.from([0x7b, 0xff, 0x7d]), headers: { 'content-type': 'application/json' } }, 400, /UTF-8/],
    ['wrong content type', 'POST', '/api/products/BAD-1/reservations', { raw: 'quantity=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, /content-type must be application\/json/],
    ['unknown SKU', 'POST', '/api/products/NO-SUCH-SKU/reservations', { body: { quantity: 1 } }, 404, /unknown sku "NO-SUCH-SKU"/],
    ['malformed SKU', 'POST', '/api/products/bad%20sku/reservations', { body: { quantity: 1 } }, 400, /sku must be/],
    ['bad percent-encoding', 'GET', '/api/products/%E0%A4%A', {}, 400, /percent-encoding/],
    ['quantity 0', 'POST', '/api/products/BAD-1/reservations', { body: { quantity: 0 } }, 400, /quantity must be an integer 1\.\.100, got 0/],
    ['negative quantity', 'POST', '/api/products/BAD-1/reservations', { body: { quantity: -3 } }, 400, /quantity must be an integer 1\.\.100, got -3/],
    ['huge quantity', 'POST', '/api/products/BAD-1/reservations', { body: { quantity: 1e12 } }, 400, /quantity must be an integer 1\.\.100/],
    ['huge literal', 'POST', '/api/products/BAD-1/reservations', { raw: '{"quantity": 1e400}', headers: { 'content-type': 'application/json' } }, 400, /quantity must be an integer 1\.\.100, got Infinity/],
    ['fractional quantity', 'POST', '/api/products/BAD-1/reservations', { body: { quantity: 1.5 } }, 400, /quantity must be an integer/],
    ['string quantity', 'POST', '/api/products/BAD-1/reservations', { body: { quantity: '2' } }, 400, /quantity must be an integer 1\.\.100, got "2"/],
    ['missing quantity', 'POST', '/api/products/BAD-1/reservations', { body: {} }, 400, /quantity is required/],
    ['unknown field', 'POST', '/api/products/BAD-1/reservations', { body: { quantity: 1, price: 0 } }, 400, /unknown field "price"/],
    ['bad sessionId', 'POST', '/api/products/BAD-1/reservations', { body: { quantity: 1, sessionId: 'x' } }, 400, /sessionId must be/],
    ['unknown session', 'POST', '/api/products/BAD-1/reservations', { body: { quantity: 1, sessionId: '00000000-0000-4000-8000-000000000000' } }, 404, /unknown or expired session/],
    ['bad Idempotency-Key', 'POST', '/api/products/BAD-1/reservations', { body: { quantity: 1 }, headers: { 'idempotency-key': 'has space' } }, 400, /Idempotency-Key must be/],
    ['oversize body', 'POST', '/api/products/BAD-1/reservations', { raw: JSON.stringify({ quantity: 1, pad: 'x'.repeat(20000) }), headers: { 'content-type': 'application/json' } }, 413, /request body is 20023 bytes; at most 16384 allowed/],
    ['oversize session body', 'POST', '/api/sessions', { raw: 'x'.repeat(100000), headers: { 'content-type': 'application/json' } }, 413, /request body is 100000 bytes/],
    ['unknown route', 'GET', '/api/nothing-here', {}, 404, /no route for GET \/api\/nothing-here/],
    ['wrong method', 'DELETE', '/api/products/BAD-1', {}, 405, /method DELETE not allowed on \/api\/products\/\{sku\}; allowed: GET, PUT/],
    ['wrong method on reservations', 'GET', '/api/products/BAD-1/reservations', {}, 405, /allowed: POST/],
    ['limit 0', 'GET', '/api/products?limit=0', {}, 400, /limit must be an integer 1\.\.100/],
    ['limit not a number', 'GET', '/api/products?limit=ten', {}, 400, /limit must be an integer 1\.\.100, got "ten"/],
    ['limit too big', 'GET', '/api/products?limit=101', {}, 400, /limit must be an integer 1\.\.100/],
    ['forged cursor', 'GET', '/api/products?cursor=!!!', {}, 400, /cursor is not a cursor/],
    ['unknown query parameter', 'GET', '/api/products?sort=price', {}, 400, /unknown field "sort"/],
    ['product without stock', 'PUT', '/api/products/BAD-2', { body: { name: 'x', price: 1 } }, 400, /stock is required/],
    ['negative stock', 'PUT', '/api/products/BAD-2', { body: { name: 'x', price: 1, stock: -1 } }, 400, /stock must be an integer 0\.\.1000000000/],
    ['price with 3 decimals', 'PUT', '/api/products/BAD-2', { body: { name: 'x', price: 1.999, stock: 1 } }, 400, /price must be a number/],
    ['negative price', 'PUT', '/api/products/BAD-2', { body: { name: 'x', price: -1, stock: 1 } }, 400, /price must be a number/],
    ['empty name', 'PUT', '/api/products/BAD-2', { body: { name: '  ', price: 1, stock: 1 } }, 400, /name must be a string/],
    ['bad user header', 'POST', '/api/sessions', { headers: { 'x-catalog-user': 'a b' } }, 400, /x-catalog-user must be/],
    ['body on session create', 'POST', '/api/sessions', { body: { userId: 'me' } }, 400, /unknown field "userId"/],
    ['bad session id', 'GET', '/api/sessions/not-a-uuid', {}, 400, /sessionId must be a lowercase UUID/],
  ];

  before(async () => {
    await putProduct('BAD-1', 1000);
  });

  for (const [name, method, path, options, status, message] of cases) {
    test(`${name} -> ${status}`, async () => {
      const res = await call(method, path, options);
      assert.equal(res.status, status, res.text);
      assert.equal(res.headers.get('content-type'), 'application/json; charset=utf-8');
      assert.match(res.json.error, message);
    });
  }

  test('none of the bad requests reserved anything', async () => {
    const [row] = await sql("SELECT stock, (SELECT count(*)::int FROM reservations WHERE sku = 'BAD-1') AS n FROM products WHERE sku = 'BAD-1'");
    assert.deepEqual(row, { stock: 1000, n: 0 });
    assert.deepEqual(await sql("SELECT sku FROM products WHERE sku = 'BAD-2'"), []);
  });

  test('405 carries an Allow header', async () => {
    const res = await call('PATCH', '/api/products/BAD-1');
    assert.equal(res.headers.get('allow'), 'GET, PUT');
  });
});

describe('migrations', () => {
  test('a second `npm run migrate` applies nothing; schema_migrations has one row per file', async () => {
    const again = h.npmMigrate(env);
    assert.equal(again.status, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), { applied: [], current: 1, createdTables: [] });
    const rows = await sql('SELECT version, name FROM schema_migrations ORDER BY version');
    assert.deepEqual(rows, [{ version: 1, name: '0001_products_reservations.sql' }]);
  });

  test('the CHECK constraint refuses a negative stock even to direct SQL', async () => {
    await assert.rejects(sql("UPDATE products SET stock = -1 WHERE sku = 'BAD-1'"), /products_stock_check/);
  });
});
