'use strict';
/**
 * Lambda@Edge viewer-request authenticator for the catalog (002-R27, R29).
 *
 * Static assets and catalog reads (GET/HEAD /api/products, /api/products/{sku}) are public.
 * Every other /api/* request needs `Authorization: Bearer <JWT>`: HS256, signed with the key in
 * config.json, `iss` equal to the configured issuer, a valid `exp` (and `nbf` if present), and a
 * `sub` the service accepts as a user id. PUT /api/products/* (restocks) also needs the
 * `catalog:admin` scope. Accepted requests go on with `x-catalog-user: <sub>` and without the
 * Authorization header; any viewer-supplied x-catalog-user is always removed, so the origin can
 * trust that header. Rejections are generated here (401/403 JSON, never reaching the origin).
 *
 * Lambda@Edge has no environment variables: the stack bakes config.json into the zip
 * ({"secret": "<base64url key, >= 32 bytes>", "issuer": "...", "leewaySeconds": 30}).
 * Without a usable config every protected request gets a 503: fail closed.
 */
const crypto = require('node:crypto');

const USER_RE = /^[A-Za-z0-9@._:|-]{1,128}$/;
const MAX_TOKEN = 4096;
const PUBLIC_READ = /^\/api\/products(\/[^/]+)?\/?$/;
const ADMIN_WRITE = /^\/api\/products\/[^/]+\/?$/;

function loadConfig(file = './config.json') {
  try {
    const config = require(file);
    const key = Buffer.from(String(config.secret || ''), 'base64url');
    if (key.length < 32 || typeof config.issuer !== 'string' || !config.issuer) return null;
    return { key, issuer: config.issuer, leewaySeconds: Number.isInteger(config.leewaySeconds) ? config.leewaySeconds : 30 };
  } catch {
    return null;
  }
}

function respond(status, description, error, extraHeaders = {}) {
  const headers = {
    'content-type': [{ key: 'Content-Type', value: 'application/json; charset=utf-8' }],
    'cache-control': [{ key: 'Cache-Control', value: 'no-store' }],
  };
  for (const [name, value] of Object.entries(extraHeaders)) headers[name.toLowerCase()] = [{ key: name, value }];
  return { status: String(status), statusDescription: description, headers, body: JSON.stringify({ error }) };
}

function unauthorized(reason) {
  // RFC 6750: no error code when no credentials were sent at all.
  const challenge = reason === null ? 'Bearer realm="catalog"' : `Bearer realm="catalog", error="invalid_token", error_description="${reason}"`;
  return respond(401, 'Unauthorized', reason === null ? 'authentication required: send Authorization: Bearer <token>' : `invalid token: ${reason}`, { 'WWW-Authenticate': challenge });
}

function decodeJson(part) {
  try {
    const value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return value && typeof value === 'object' && !Array.isArray(value) ? value : null;
  } catch {
    return null;
  }
}

/** Returns the claims, or a string saying why the token is refused. */
function verify(token, config, nowSeconds) {
  if (token.length > MAX_TOKEN) return 'too long';
  const parts = token.split('.');
  if (parts.length !== 3 || !parts.every((p) => /^[A-Za-z0-9_-]+$/.test(p))) return 'malformed';
  const header = decodeJson(parts[0]);
  if (!header) return 'malformed header';
  // Only HS256: never "none", never an algorithm chosen by the token.
  if (header.alg !== 'HS256') return 'unsupported alg';
  const expected = crypto.createHmac('sha256', config.key).update(`${parts[0]}.${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'base64url');
  if (given.length !== expected.length || !crypto.timingSafeEqual(given, expected)) return 'bad signature';
  const claims = decodeJson(parts[1]);
  if (!claims) return 'malformed claims';
  if (claims.iss !== config.issuer) return 'wrong issuer';
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) return 'exp required';
  if (claims.exp + config.leewaySeconds <= nowSeconds) return 'expired';
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf - config.leewaySeconds > nowSeconds)) return 'not yet valid';
  if (typeof claims.sub !== 'string' || !USER_RE.test(claims.sub)) return 'bad sub';
  return claims;
}

function createHandler(config, now = () => Date.now()) {
  return async function handler(event) {
    const request = event.Records[0].cf.request;
    const headers = request.headers;
    delete headers['x-catalog-user'];
    const uri = request.uri || '/';
    if (!uri.startsWith('/api/')) return request;
    const method = request.method.toUpperCase();
    if ((method === 'GET' || method === 'HEAD') && PUBLIC_READ.test(uri)) return request;

    if (!config) return respond(503, 'Service Unavailable', 'authentication is not configured');
    const auth = headers.authorization && headers.authorization[0] && headers.authorization[0].value;
    if (!auth) return unauthorized(null);
    const m = /^Bearer[ ]+(\S+)$/i.exec(auth.trim());
    if (!m) return unauthorized('use the Bearer scheme');
    const claims = verify(m[1], config, Math.floor(now() / 1000));
    if (typeof claims === 'string') return unauthorized(claims);
    if (method === 'PUT' && ADMIN_WRITE.test(uri)) {
      const scopes = typeof claims.scope === 'string' ? claims.scope.split(' ') : [];
      if (!scopes.includes('catalog:admin')) {
        return respond(403, 'Forbidden', 'the catalog:admin scope is required to create or restock products', { 'WWW-Authenticate': 'Bearer realm="catalog", error="insufficient_scope", scope="catalog:admin"' });
      }
    }
    delete headers.authorization;
    headers['x-catalog-user'] = [{ key: 'X-Catalog-User', value: claims.sub }];
    return request;
  };
}

let cached;
exports.handler = async (event) => {
  if (cached === undefined) cached = createHandler(loadConfig());
  return cached(event);
};
exports.createHandler = createHandler;
exports.loadConfig = loadConfig;
