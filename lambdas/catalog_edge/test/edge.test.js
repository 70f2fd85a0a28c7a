'use strict';
/** The viewer-request authenticator's accept/reject cases (002-R27, 002-R29). */
const { test, describe } = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createHandler, loadConfig } = require('../index');

const SECRET = 'c2VjcmV0LWtleS1mb3ItdGhlLWNhdGFsb2ctZWRnZS10ZXN0cy0xMjM0NTY3ODkw';
const NOW = 1767225600; // 2026-01-01T00:00:00Z
const config = { key: Buffer.from(SECRET, 'base64url'), issuer: 'catalog-auth', leewaySeconds: 30 };
const handler = createHandler(config, () => NOW * 1000);

const b64 = (obj) => Buffer.from(typeof obj === 'string' ? obj : JSON.stringify(obj)).toString('base64url');
function jwt(claims, { alg = 'HS256', key = Buffer.from(SECRET, 'base64url') } = {}) {
  const head = b64({ alg, typ: 'JWT' });
  const body = b64(claims);
  const sig = crypto.createHmac('sha256', key).update(`${head}.${body}`).digest('base64url');
  return `${head}.${body}.${sig}`;
}
const good = { iss: 'catalog-auth', sub: 'user-42', exp: NOW + 600 };

function event(method, uri, headers = {}) {
  const h = { host: [{ key: 'Host', value: 'd111111abcdef8.cloudfront.net' }] };
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = [{ key: k, value: v }];
  return { Records: [{ cf: { config: { eventType: 'viewer-request', distributionId: 'EDFDVBD6EXAMPLE' }, request: { clientIp: '203.0.113.178', method, uri, querystring: '', headers: h } } }] };
}

async function run(method, uri, headers) {
  return handler(event(method, uri, headers));
}

function assertRejected(res, status, errorPattern) {
  assert.equal(res.status, String(status));
  assert.equal(res.headers['content-type'][0].value, 'application/json; charset=utf-8');
  assert.match(JSON.parse(res.body).error, errorPattern);
  assert.equal(res.uri, undefined); // a generated response, not a request sent on
}

describe('002-R27 accepted requests', () => {
  test('static assets pass untouched (no token needed)', async () => {
    const res = await run('GET', '/index.html');
    assert.equal(res.uri, '/index.html');
    assert.equal(res.headers.authorization, undefined);
  });

  test('catalog reads are public: GET /api/products and /api/products/{sku}', async () => {
    assert.equal((await run('GET', '/api/products')).uri, '/api/products');
    assert.equal((await run('HEAD', '/api/products/SKU-1')).uri, '/api/products/SKU-1');
  });

  test('a valid token on a reservation: passes with x-catalog-user = sub, Authorization removed', async () => {
    const res = await run('POST', '/api/products/SKU-1/reservations', { Authorization: `Bearer ${jwt(good)}` });
    assert.equal(res.uri, '/api/products/SKU-1/reservations');
    assert.deepEqual(res.headers['x-catalog-user'], [{ key: 'X-Catalog-User', value: 'user-42' }]);
    assert.equal(res.headers.authorization, undefined);
  });

  test('the scheme is case-insensitive; leeway covers 30 s of clock skew on exp and nbf', async () => {
    const skewed = jwt({ ...good, exp: NOW - 20, nbf: NOW + 20 });
    const res = await run('POST', '/api/sessions', { Authorization: `bearer ${skewed}` });
    assert.equal(res.uri, '/api/sessions');
  });

  test('PUT /api/products/{sku} with the catalog:admin scope passes', async () => {
    const res = await run('PUT', '/api/products/SKU-1', { Authorization: `Bearer ${jwt({ ...good, scope: 'catalog:read catalog:admin' })}` });
    assert.equal(res.uri, '/api/products/SKU-1');
  });
});

describe('002-R27 rejected requests', () => {
  test('a spoofed x-catalog-user is stripped from every request, public ones included', async () => {
    const pub = await run('GET', '/api/products', { 'X-Catalog-User': 'admin' });
    assert.equal(pub.headers['x-catalog-user'], undefined);
    const authed = await run('POST', '/api/sessions', { 'X-Catalog-User': 'admin', Authorization: `Bearer ${jwt(good)}` });
    assert.deepEqual(authed.headers['x-catalog-user'], [{ key: 'X-Catalog-User', value: 'user-42' }]);
  });

  test('no token: 401 with a bare Bearer challenge', async () => {
    const res = await run('POST', '/api/products/SKU-1/reservations');
    assertRejected(res, 401, /authentication required/);
    assert.equal(res.headers['www-authenticate'][0].value, 'Bearer realm="catalog"');
  });

  const cases = [
    ['Basic scheme', () => 'Basic dXNlcjpwYXNz', /use the Bearer scheme/],
    ['not a JWT', () => 'Bearer abc', /malformed/],
    ['alg none', () => `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64(good)}.${b64('x')}`, /unsupported alg/],
    ['alg HS512', () => `Bearer ${jwt(good, { alg: 'HS512' })}`, /unsupported alg/],
    ['signed with another key', () => `Bearer ${jwt(good, { key: Buffer.alloc(32, 7) })}`, /bad signature/],
    ['claims edited after signing', () => {
      const [h, , s] = jwt(good).split('.');
      return `Bearer ${h}.${b64({ ...good, sub: 'someone-else' })}.${s}`;
    }, /bad signature/],
    ['expired beyond the leeway', () => `Bearer ${jwt({ ...good, exp: NOW - 31 })}`, /expired/],
    ['no exp', () => `Bearer ${jwt({ iss: 'catalog-auth', sub: 'u' })}`, /exp required/],
    ['not yet valid', () => `Bearer ${jwt({ ...good, nbf: NOW + 120 })}`, /not yet valid/],
    ['wrong issuer', () => `Bearer ${jwt({ ...good, iss: 'someone' })}`, /wrong issuer/],
    ['sub the service would refuse', () => `Bearer ${jwt({ ...good, sub: 'a b' })}`, /bad sub/],
    ['token over 4 KiB', () => `Bearer ${jwt({ ...good, pad: 'x'.repeat(5000) })}`, /too long/],
  ];
  for (const [name, header, pattern] of cases) {
    test(`${name}: 401 invalid_token`, async () => {
      const res = await run('POST', '/api/products/SKU-1/reservations', { Authorization: header() });
      assertRejected(res, 401, pattern);
      assert.match(res.headers['www-authenticate'][0].value, /^Bearer realm="catalog", error="invalid_token"/);
    });
  }

  test('GET of a session needs a token (sessions are per user)', async () => {
    assertRejected(await run('GET', '/api/sessions/0f8e4a8e-0000-4000-8000-000000000000'), 401, /authentication required/);
  });

  test('PUT /api/products/{sku} without catalog:admin: 403 insufficient_scope', async () => {
    const res = await run('PUT', '/api/products/SKU-1', { Authorization: `Bearer ${jwt({ ...good, scope: 'catalog:read' })}` });
    assertRejected(res, 403, /catalog:admin scope is required/);
    assert.match(res.headers['www-authenticate'][0].value, /error="insufficient_scope"/);
  });

  test('no usable config: protected requests fail closed with 503, public ones still pass', async () => {
    const closed = createHandler(null);
    assertRejected(await closed(event('POST', '/api/sessions', { Authorization: `Bearer ${jwt(good)}` })), 503, /not configured/);
    assert.equal((await closed(event('GET', '/api/products'))).uri, '/api/products');
  });
});

describe('002-R29 packaging: config.json baked into the zip', () => {
  test('loadConfig reads the key and issuer; a short key or a missing file gives null', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edge-config-'));
    try {
      const file = path.join(dir, 'config.json');
      fs.writeFileSync(file, JSON.stringify({ secret: SECRET, issuer: 'catalog-auth' }));
      const loaded = loadConfig(file);
      assert.equal(loaded.issuer, 'catalog-auth');
      assert.equal(loaded.key.length, 48);
      assert.equal(loaded.leewaySeconds, 30);
      const short = path.join(dir, 'short.json');
      fs.writeFileSync(short, JSON.stringify({ secret: 'c2hvcnQ', issuer: 'catalog-auth' }));
      assert.equal(loadConfig(short), null);
      assert.equal(loadConfig(path.join(dir, 'missing.json')), null);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the deployed entry point (index.handler) answers without a config.json: fail closed', async () => {
    const { handler: deployed } = require('../index');
    const res = await deployed(event('POST', '/api/sessions', { Authorization: `Bearer ${jwt(good)}` }));
    assert.equal(res.status, '503');
  });
});
