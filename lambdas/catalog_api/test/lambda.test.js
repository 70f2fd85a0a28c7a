'use strict';
/**
 * The Lambda entry point: ALB and API Gateway proxy events through one handler, the migrate
 * action, migrations under concurrency, and the EMF lines the dashboard reads.
 */
const { test, before, after, describe, beforeEach } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Client, Pool } = require('pg');
const h = require('./harness');

let pg;
let moto;
let handlerModule;
const savedEnv = { ...process.env };

function dbUrl(name) {
  return pg.url.replace(/\/postgres$/, `/${name}`);
}

async function sql(url, text, params) {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}

async function useEnv(extra) {
  await handlerModule.reset();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv, h.serviceEnv(pg, moto, { AWS_LAMBDA_FUNCTION_NAME: 'catalog-api-test', ...extra }));
}

before(async () => {
  pg = await h.startPostgres();
  moto = await h.startMoto();
  handlerModule = require('../src/handler');
  await useEnv({});
});

after(async () => {
  if (handlerModule) await handlerModule.reset();
  if (moto) moto.stop();
  if (pg) pg.stop();
});

function albEvent(method, pathValue, { body, headers = {}, query, multi = false, base64 = false } = {}) {
  const hdrs = { host: 'catalog-alb-123.us-east-1.elb.amazonaws.com', 'x-amzn-trace-id': 'Root=1-67891233-abcdef012345678912345678', ...headers };
  const event = {
    requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/catalog-tg-dev/73e2d6bc24d8a067' } },
    httpMethod: method,
    path: pathValue,
    body: body === undefined ? '' : base64 ? Buffer.from(body).toString('base64') : body,
    isBase64Encoded: base64,
  };
  if (multi) {
    event.multiValueHeaders = Object.fromEntries(Object.entries(hdrs).map(([k, v]) => [k, [v]]));
    event.multiValueQueryStringParameters = query ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])) : {};
  } else {
    event.headers = hdrs;
    event.queryStringParameters = query || {};
  }
  return event;
}

function apigwEvent(method, pathValue, { body, headers = {}, query = null, resource = '/{proxy+}' } = {}) {
  const hdrs = { Host: 'abc123.execute-api.us-east-1.amazonaws.com', 'Content-Type': 'application/json', ...headers };
  return {
    resource,
    path: pathValue,
    httpMethod: method,
    headers: hdrs,
    multiValueHeaders: Object.fromEntries(Object.entries(hdrs).map(([k, v]) => [k, [v]])),
    queryStringParameters: query,
    multiValueQueryStringParameters: query ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])) : null,
    pathParameters: { proxy: pathValue.replace(/^\//, '') },
    stageVariables: null,
    requestContext: { resourcePath: resource, httpMethod: method, path: `/prod${pathValue}`, stage: 'prod', apiId: 'abc123', requestId: 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef', identity: { sourceIp: '203.0.113.9', apiKey: 'k' } },
    body: body === undefined ? null : body,
    isBase64Encoded: false,
  };
}

const ctx = { awsRequestId: 'lambda-req-1' };

describe('the migrate action', () => {
  test('{"action":"migrate"} applies the schema once, a second call applies nothing', async () => {
    const first = await handlerModule.handler({ action: 'migrate' }, ctx);
    assert.deepEqual(first, { ok: true, applied: ['0001_products_reservations.sql'], current: 1 });
    const second = await handlerModule.handler({ action: 'migrate' }, ctx);
    assert.deepEqual(second, { ok: true, applied: [], current: 1 });
  });

  test('an event that is neither ALB, API Gateway nor migrate is rejected (the invocation fails)', async () => {
    await assert.rejects(handlerModule.handler({ hello: 'world' }, ctx), /unsupported event/);
  });
});

describe('ALB events (002-R10, 002-R13)', () => {
  test('002-R12 the health check path answers 200 without the database', async () => {
    const res = await handlerModule.handler(albEvent('GET', '/health'), ctx);
    assert.equal(res.statusCode, 200);
    assert.equal(res.statusDescription, '200 OK');
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.deepEqual(JSON.parse(res.body), { status: 'ok', service: 'catalog-api' });
  });

  test('002-R13 PUT + reserve + GET through ALB events (single-value headers)', async () => {
    const put = await handlerModule.handler(albEvent('PUT', '/api/products/ALB-1', { body: JSON.stringify({ name: 'Lamp', price: 30, stock: 4 }), headers: { 'content-type': 'application/json' } }), ctx);
    assert.equal(put.statusCode, 201, put.body);
    assert.equal(put.statusDescription, '201 Created');
    const res = await handlerModule.handler(albEvent('POST', '/api/products/ALB-1/reservations', { body: JSON.stringify({ quantity: 3 }), headers: { 'content-type': 'application/json', 'idempotency-key': 'alb-key-1' } }), ctx);
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(JSON.parse(res.body).remaining, 1);
    assert.equal(res.headers['idempotent-replayed'], 'false');
    const got = await handlerModule.handler(albEvent('GET', '/api/products/ALB-1'), ctx);
    assert.equal(JSON.parse(got.body).stock, 1);
  });

  test('multi-value headers on the target group: the answer uses multiValueHeaders; base64 bodies decode', async () => {
    const res = await handlerModule.handler(albEvent('POST', '/api/products/ALB-1/reservations', { body: JSON.stringify({ quantity: 1 }), headers: { 'content-type': 'application/json' }, multi: true, base64: true }), ctx);
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.headers, undefined);
    assert.deepEqual(res.multiValueHeaders['content-type'], ['application/json; charset=utf-8']);
    assert.equal(JSON.parse(res.body).remaining, 0);
  });

  test('ALB query strings arrive percent-encoded and are decoded', async () => {
    for (const sku of ['ALB-Q1', 'ALB-Q2', 'ALB-Q3']) {
      await handlerModule.handler(albEvent('PUT', `/api/products/${sku}`, { body: JSON.stringify({ name: sku, price: 1, stock: 1 }), headers: { 'content-type': 'application/json' } }), ctx);
    }
    const page1 = JSON.parse((await handlerModule.handler(albEvent('GET', '/api/products', { query: { limit: '1' } }), ctx)).body);
    // base64url cursors have no reserved characters, so encode one by hand the way a client might.
    const cursor = encodeURIComponent(page1.nextCursor).replace(/-/g, '%2D');
    const page2 = await handlerModule.handler(albEvent('GET', '/api/products', { query: { limit: '1', cursor } }), ctx);
    assert.equal(page2.statusCode, 200, page2.body);
    assert.notEqual(JSON.parse(page2.body).items[0].sku, page1.items[0].sku);
  });

  test('bad input through the ALB is a 4xx, never a 5xx', async () => {
    const bad = await handlerModule.handler(albEvent('POST', '/api/products/ALB-1/reservations', { body: '{nope', headers: { 'content-type': 'application/json' } }), ctx);
    assert.equal(bad.statusCode, 400);
    assert.equal(bad.statusDescription, '400 Bad Request');
    const unknown = await handlerModule.handler(albEvent('GET', '/admin'), ctx);
    assert.equal(unknown.statusCode, 404);
  });
});

describe('API Gateway REST events, AWS_PROXY (002-R33)', () => {
  test('002-R33 product round trip through API Gateway proxy events', async () => {
    const put = await handlerModule.handler(apigwEvent('PUT', '/api/products/GW-1', { body: JSON.stringify({ name: 'Desk', price: 120.5, stock: 2 }) }), ctx);
    assert.equal(put.statusCode, 201, put.body);
    assert.equal(put.statusDescription, undefined);
    const res = await handlerModule.handler(apigwEvent('POST', '/api/products/GW-1/reservations', { body: JSON.stringify({ quantity: 2 }), headers: { 'Idempotency-Key': 'gw-key-1' } }), ctx);
    assert.equal(res.statusCode, 201, res.body);
    const again = await handlerModule.handler(apigwEvent('POST', '/api/products/GW-1/reservations', { body: JSON.stringify({ quantity: 2 }), headers: { 'Idempotency-Key': 'gw-key-1' } }), ctx);
    assert.equal(again.statusCode, 201);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(JSON.parse(again.body).reservationId, JSON.parse(res.body).reservationId);
    const sold = await handlerModule.handler(apigwEvent('POST', '/api/products/GW-1/reservations', { body: JSON.stringify({ quantity: 1 }) }), ctx);
    assert.equal(sold.statusCode, 409);
  });

  test('002-R33 explicit resources (/api/products/{sku}) and decoded query strings work too', async () => {
    const res = await handlerModule.handler(apigwEvent('GET', '/api/products/GW-1', { resource: '/api/products/{sku}' }), ctx);
    assert.equal(res.statusCode, 200);
    const list = await handlerModule.handler(apigwEvent('GET', '/api/products', { resource: '/api/products', query: { limit: '2' } }), ctx);
    assert.equal(JSON.parse(list.body).items.length, 2);
    const bad = await handlerModule.handler(apigwEvent('GET', '/api/products', { query: { limit: '-1' } }), ctx);
    assert.equal(bad.statusCode, 400);
  });
});

describe('EMF metrics (002-R34)', () => {
  test('002-R34 one EMF line per request: namespace, dimensions, latency, counts', async () => {
    await useEnv({ METRICS: 'on' });
    const lines = [];
    const write = process.stdout.write;
    process.stdout.write = (chunk, ...rest) => {
      // The test runner shares stdout (its own protocol): keep only our JSON lines.
      if (typeof chunk === 'string' && chunk.startsWith('{"_aws"')) {
        lines.push(chunk);
        return true;
      }
      return write.call(process.stdout, chunk, ...rest);
    };
    try {
      await handlerModule.handler(albEvent('GET', '/api/products/GW-1'), ctx);
      await handlerModule.handler(apigwEvent('GET', '/api/products/NOT-THERE'), ctx);
      await handlerModule.handler(apigwEvent('POST', '/api/products/GW-1/reservations', { body: JSON.stringify({ quantity: 1 }) }), ctx);
    } finally {
      process.stdout.write = write;
    }
    const emf = lines.map((l) => JSON.parse(l));
    assert.equal(emf.length, 3);
    const [ok, missing, soldOut] = emf;
    assert.deepEqual(ok._aws.CloudWatchMetrics[0].Dimensions, [['Service'], ['Service', 'Route']]);
    assert.equal(ok._aws.CloudWatchMetrics[0].Namespace, 'Webstack/CatalogApi');
    assert.deepEqual(ok._aws.CloudWatchMetrics[0].Metrics.map((m) => m.Name), ['Latency', 'Requests', 'ClientErrors', 'ServerErrors', 'Unavailable', 'Reservations', 'SoldOut']);
    assert.equal(ok._aws.CloudWatchMetrics[0].Metrics[0].Unit, 'Milliseconds');
    assert.equal(typeof ok._aws.Timestamp, 'number');
    assert.equal(ok.Service, 'catalog-api');
    assert.equal(ok.Route, 'GET /api/products/{sku}');
    assert.ok(ok.Latency > 0 && ok.Latency < 5000);
    assert.deepEqual([ok.Requests, ok.ClientErrors, ok.ServerErrors, ok.statusCode, ok.source], [1, 0, 0, 200, 'alb']);
    assert.deepEqual([missing.Route, missing.ClientErrors, missing.statusCode, missing.source, missing.requestId], ['GET /api/products/{sku}', 1, 404, 'apigateway', 'c6af9ac6-7b61-11e6-9a41-93e8deadbeef']);
    assert.deepEqual([soldOut.Route, soldOut.SoldOut, soldOut.Reservations, soldOut.statusCode], ['POST /api/products/{sku}/reservations', 1, 0, 409]);
    await useEnv({});
  });
});

describe('migrations applied exactly once', () => {
  test('8 concurrent migrate calls on an empty database: one applies, all succeed, one row per file', async () => {
    await sql(pg.url, 'CREATE DATABASE mig_concurrent');
    const { migrate } = require('../src/migrate');
    const pools = Array.from({ length: 8 }, () => new Pool({ connectionString: dbUrl('mig_concurrent'), max: 1 }));
    try {
      const results = await Promise.all(pools.map((p) => migrate(p)));
      assert.equal(results.filter((r) => r.applied.length === 1).length, 1);
      assert.equal(results.filter((r) => r.applied.length === 0).length, 7);
      const rows = await sql(dbUrl('mig_concurrent'), 'SELECT version, name FROM schema_migrations');
      assert.deepEqual(rows, [{ version: 1, name: '0001_products_reservations.sql' }]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });

  test('3 concurrent `npm run migrate` processes on an empty database all exit 0', async () => {
    await sql(pg.url, 'CREATE DATABASE mig_processes');
    const env = h.serviceEnv({ url: dbUrl('mig_processes') }, moto);
    const runs = await Promise.all(Array.from({ length: 3 }, () => new Promise((resolve) => {
      const child = spawn('node', ['src/migrate-cli.js'], { cwd: path.join(__dirname, '..'), env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout.on('data', (d) => {
        out += d;
      });
      let err = '';
      child.stderr.on('data', (d) => {
        err += d;
      });
      child.on('exit', (code) => resolve({ code, out, err: err.split('\n').filter((l) => l.startsWith('error:')).join('\n') }));
    })));
    assert.deepEqual(runs.map((r) => [r.code, r.err]), [[0, ''], [0, ''], [0, '']]);
    assert.equal(runs.map((r) => JSON.parse(r.out).applied.length).reduce((a, b) => a + b, 0), 1);
    assert.deepEqual(await sql(dbUrl('mig_processes'), 'SELECT count(*)::int AS n FROM schema_migrations'), [{ n: 1 }]);
  });

  test('a failing file rolls back the whole run; a changed applied file is refused', async () => {
    await sql(pg.url, 'CREATE DATABASE mig_failing');
    const { migrate, MIGRATIONS_DIR } = require('../src/migrate');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'catalog-mig-'));
    fs.copyFileSync(path.join(MIGRATIONS_DIR, '0001_products_reservations.sql'), path.join(dir, '0001_products_reservations.sql'));
    fs.writeFileSync(path.join(dir, '0002_broken.sql'), 'ALTER TABLE products ADD COLUMN colour text;\nSELECT * FROM no_such_table;\n');
    const pool = new Pool({ connectionString: dbUrl('mig_failing'), max: 1 });
    try {
      await assert.rejects(migrate(pool, { dir }), /no_such_table/);
      assert.deepEqual(await sql(dbUrl('mig_failing'), "SELECT to_regclass('products') IS NULL AS absent, to_regclass('schema_migrations') IS NULL AS no_table"), [{ absent: true, no_table: true }]);
      fs.rmSync(path.join(dir, '0002_broken.sql'));
      assert.deepEqual((await migrate(pool, { dir })).applied, ['0001_products_reservations.sql']);
      fs.appendFileSync(path.join(dir, '0001_products_reservations.sql'), '\n-- edited\n');
      await assert.rejects(migrate(pool, { dir }), /0001_products_reservations\.sql was changed after it was applied/);
    } finally {
      await pool.end();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Lambda configuration (002-R23, 002-R25)', () => {
  beforeEach(async () => {
    await handlerModule.reset();
  });

  test('002-R25 behind RDS Proxy: IAM token as the password, TLS verified, one connection per pool', async () => {
    const { loadConfig } = require('../src/config');
    const { poolOptions } = require('../src/db');
    const config = loadConfig({ AWS_LAMBDA_FUNCTION_NAME: 'fn', AWS_REGION: 'us-east-1', DB_HOST: 'catalog-proxy-dev.proxy-abc.us-east-1.rds.amazonaws.com', DB_READER_HOST: 'catalog-proxy-ro-dev.endpoint.proxy-abc.us-east-1.rds.amazonaws.com', DB_USER: 'catalog_app', DB_NAME: 'catalog', AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret' });
    const writer = poolOptions(config, 'writer');
    const reader = poolOptions(config, 'reader');
    assert.equal(writer.host, 'catalog-proxy-dev.proxy-abc.us-east-1.rds.amazonaws.com');
    assert.equal(reader.host, 'catalog-proxy-ro-dev.endpoint.proxy-abc.us-east-1.rds.amazonaws.com');
    assert.deepEqual([writer.max, reader.max, writer.port, writer.user, writer.database], [1, 1, 5432, 'catalog_app', 'catalog']);
    assert.deepEqual(writer.ssl, { rejectUnauthorized: true });
    assert.equal(writer.connectionString, undefined);
    assert.equal(typeof writer.password, 'function');
    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = 'AKIDEXAMPLE';
    process.env.AWS_SECRET_ACCESS_KEY = 'secret';
    try {
      // A real SigV4 presigned connect URL: host:port/?Action=connect&DBUser=...&X-Amz-...
      const token = await writer.password();
      assert.match(token, /^catalog-proxy-dev\.proxy-abc\.us-east-1\.rds\.amazonaws\.com:5432\/\?/);
      const params = new URL(`https://${token}`).searchParams;
      assert.equal(params.get('Action'), 'connect');
      assert.equal(params.get('DBUser'), 'catalog_app');
      assert.equal(params.get('X-Amz-Algorithm'), 'AWS4-HMAC-SHA256');
      assert.match(params.get('X-Amz-Credential'), /^AKIDEXAMPLE\/\d{8}\/us-east-1\/rds-db\/aws4_request$/);
      assert.equal(params.get('X-Amz-Expires'), '900');
      const readerToken = await reader.password();
      assert.match(readerToken, /^catalog-proxy-ro-dev\./);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  });

  test('bad configuration fails with one line naming the key', async () => {
    const { loadConfig } = require('../src/config');
    assert.throws(() => loadConfig({}), /set DATABASE_URL .* or DB_HOST/);
    assert.throws(() => loadConfig({ DB_HOST: 'h' }), /DB_USER is required/);
    assert.throws(() => loadConfig({ DATABASE_URL: 'postgres://x', PG_POOL_MAX: 'lots' }), /PG_POOL_MAX must be an integer 1\.\.200, got "lots"/);
    assert.throws(() => loadConfig({ DATABASE_URL: 'postgres://x', DB_STATEMENT_TIMEOUT_MS: '5' }), /DB_STATEMENT_TIMEOUT_MS must be an integer 100\.\.60000, got 5/);
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://x' }).poolMax, 10);
    assert.equal(loadConfig({ DATABASE_URL: 'postgres://x', AWS_LAMBDA_FUNCTION_NAME: 'f' }).poolMax, 1);
  });
});
