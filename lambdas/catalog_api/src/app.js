'use strict';
/**
 * The routes, independent of transport: (method, path, query, headers, body) -> (status, headers,
 * JSON body). handler.js adapts ALB and API Gateway events to this, server.js a local HTTP server.
 * Every client mistake is a 4xx JSON error naming what is wrong; an unreachable or stalled
 * dependency is a 503 with Retry-After; anything else is a 500 (a bug), still JSON.
 */
const { HttpError, UnavailableError, isDatabaseUnavailable, isAwsUnavailable } = require('./errors');
const catalog = require('./catalog');

const SKU_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const KEY_RE = /^[\x21-\x7e]{1,255}$/;
const USER_RE = /^[A-Za-z0-9@._:|-]{1,128}$/;
const MAX_STOCK = 1000000000;
const MAX_PRICE = 9999999999.99;

const ROUTES = [
  { pattern: /^\/health$/, template: '/health', methods: { GET: 'health' } },
  { pattern: /^\/api\/products$/, template: '/api/products', methods: { GET: 'listProducts' } },
  { pattern: /^\/api\/products\/([^/]+)$/, template: '/api/products/{sku}', methods: { GET: 'getProduct', PUT: 'putProduct' } },
  { pattern: /^\/api\/products\/([^/]+)\/reservations$/, template: '/api/products/{sku}/reservations', methods: { POST: 'reserve' } },
  { pattern: /^\/api\/sessions$/, template: '/api/sessions', methods: { POST: 'createSession' } },
  { pattern: /^\/api\/sessions\/([^/]+)$/, template: '/api/sessions/{sessionId}', methods: { GET: 'getSession' } },
];

function json(status, body, headers = {}) {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers }, body: JSON.stringify(body) };
}

function matchRoute(method, path) {
  const clean = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  for (const route of ROUTES) {
    const m = route.pattern.exec(clean);
    if (!m) continue;
    const name = route.methods[method];
    if (!name) {
      const allow = Object.keys(route.methods).join(', ');
      throw Object.assign(new HttpError(405, `method ${method} not allowed on ${route.template}; allowed: ${allow}`, {}, { allow }), { template: route.template });
    }
    return { name, template: route.template, params: m.slice(1) };
  }
  return null;
}

function decodeSegment(raw, what) {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new HttpError(400, `${what} is not valid percent-encoding`);
  }
}

function skuParam(raw) {
  const sku = decodeSegment(raw, 'sku');
  if (!SKU_RE.test(sku)) throw new HttpError(400, 'sku must be 1-64 characters of A-Z a-z 0-9 . _ - starting with a letter or digit');
  return sku;
}

function parseBody(request, maxBytes) {
  const body = request.body;
  // bodyBytes: the local server stops keeping a body past the limit but still counts it.
  const size = request.bodyBytes ?? (body ? body.length : 0);
  if (size > maxBytes) throw new HttpError(413, `request body is ${size} bytes; at most ${maxBytes} allowed`);
  if (!body || body.length === 0) throw new HttpError(400, 'request body is required: a JSON object');
  const type = (request.headers['content-type'] || 'application/json').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new HttpError(415, `content-type must be application/json, got ${type}`);
  let text;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    throw new HttpError(400, 'request body is not valid UTF-8');
  }
  let value;
  try {
    value = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'request body is not valid JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new HttpError(400, 'request body must be a JSON object');
  return value;
}

function onlyKeys(obj, allowed, what) {
  for (const key of Object.keys(obj)) {
    if (!allowed.includes(key)) throw new HttpError(400, `unknown field ${JSON.stringify(key)} in ${what}; allowed: ${allowed.join(', ')}`);
  }
}

function intIn(value, key, min, max) {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const shown = typeof value === 'number' && !Number.isFinite(value) ? String(value) : JSON.stringify(value) ?? String(value);
    throw new HttpError(400, `${key} must be an integer ${min}..${max}, got ${shown}`);
  }
  return value;
}

function encodeCursor(sku) {
  return Buffer.from(sku, 'utf8').toString('base64url');
}

function decodeCursor(cursor) {
  const sku = /^[A-Za-z0-9_-]{1,100}$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!SKU_RE.test(sku)) throw new HttpError(400, 'cursor is not a cursor returned by this API (use nextCursor as is)');
  return sku;
}

function createApp({ config, pools, store, log = defaultLog }) {
  async function db(fn) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof HttpError) throw err;
      if (isDatabaseUnavailable(err)) throw new UnavailableError('database', err);
      throw err;
    }
  }

  async function aws(fn) {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof HttpError) throw err;
      if (isAwsUnavailable(err)) throw new UnavailableError('session store', err);
      throw err;
    }
  }

  const handlers = {
    async health() {
      // Cheap on purpose: the ALB checks every 5 s (002-R12) and must not load the database.
      return json(200, { status: 'ok', service: config.serviceName });
    },

    async listProducts(request) {
      onlyKeys(request.query, ['limit', 'cursor'], 'query string');
      let limit = 20;
      if (request.query.limit !== undefined) {
        if (!/^\d{1,4}$/.test(request.query.limit)) throw new HttpError(400, `limit must be an integer 1..100, got ${JSON.stringify(request.query.limit)}`);
        limit = intIn(Number(request.query.limit), 'limit', 1, 100);
      }
      const after = request.query.cursor !== undefined ? decodeCursor(request.query.cursor) : null;
      const cacheKey = `products:v1:${limit}:${after ?? ''}`;
      if (config.cacheTtlSeconds > 0) {
        try {
          const hit = await store.cacheGet(cacheKey);
          if (hit) return json(200, hit, { 'x-cache': 'hit' });
        } catch (err) {
          // The cache is an optimisation: when DynamoDB fails, read through to the database.
          log('warn', 'cache_get_failed', { error: err.name || String(err) });
        }
      }
      const page = await db(() => catalog.listProducts(pools.reader, { limit, after }));
      const body = { items: page.items, nextCursor: page.last ? encodeCursor(page.last) : null };
      if (config.cacheTtlSeconds > 0) {
        store.cachePut(cacheKey, body, config.cacheTtlSeconds).catch((err) => log('warn', 'cache_put_failed', { error: err.name || String(err) }));
      }
      return json(200, body, { 'x-cache': 'miss' });
    },

    async getProduct(request, [rawSku]) {
      const sku = skuParam(rawSku);
      const product = await db(() => catalog.getProduct(pools.reader, sku));
      if (!product) throw new HttpError(404, `unknown sku ${JSON.stringify(sku)}`);
      return json(200, product);
    },

    async putProduct(request, [rawSku]) {
      const sku = skuParam(rawSku);
      const body = parseBody(request, config.maxBodyBytes);
      onlyKeys(body, ['name', 'price', 'stock'], 'product');
      for (const key of ['name', 'price', 'stock']) if (!(key in body)) throw new HttpError(400, `${key} is required (name: string, price: number, stock: integer)`);
      if (typeof body.name !== 'string' || body.name.trim().length < 1 || body.name.length > 200) throw new HttpError(400, 'name must be a string of 1..200 characters');
      const { price } = body;
      if (typeof price !== 'number' || !Number.isFinite(price) || price < 0 || price > MAX_PRICE || Math.abs(price * 100 - Math.round(price * 100)) > 1e-6) {
        throw new HttpError(400, `price must be a number 0..${MAX_PRICE} with at most 2 decimals, got ${JSON.stringify(price)}`);
      }
      const stock = intIn(body.stock, 'stock', 0, MAX_STOCK);
      const { product, created } = await db(() => catalog.putProduct(pools.writer, sku, { name: body.name.trim(), price, stock }));
      return json(created ? 201 : 200, product, created ? { location: `/api/products/${encodeURIComponent(sku)}` } : {});
    },

    async reserve(request, [rawSku]) {
      const sku = skuParam(rawSku);
      const body = parseBody(request, config.maxBodyBytes);
      onlyKeys(body, ['quantity', 'sessionId'], 'reservation');
      if (!('quantity' in body)) throw new HttpError(400, `quantity is required: an integer 1..${config.maxQuantity}`);
      const quantity = intIn(body.quantity, 'quantity', 1, config.maxQuantity);
      let sessionId = null;
      if (body.sessionId !== undefined && body.sessionId !== null) {
        if (typeof body.sessionId !== 'string' || !UUID_RE.test(body.sessionId)) throw new HttpError(400, 'sessionId must be a session id returned by POST /api/sessions (a lowercase UUID)');
        sessionId = body.sessionId;
      }
      const rawKey = request.headers['idempotency-key'];
      if (rawKey !== undefined && !KEY_RE.test(rawKey)) throw new HttpError(400, 'Idempotency-Key must be 1..255 visible ASCII characters');
      if (sessionId) {
        const session = await aws(() => store.getSession(sessionId));
        if (!ownedBy(session, request)) throw new HttpError(404, `unknown or expired session ${sessionId}`);
      }
      const result = await db(() => catalog.reserve(pools.writer, { sku, quantity, sessionId, idempotencyKey: rawKey }));
      const headers = rawKey ? { 'idempotent-replayed': result.replayed ? 'true' : 'false' } : {};
      if (result.status !== 201) return json(result.status, result.body, headers);
      let inCart = null;
      if (sessionId) {
        // After the commit, and idempotent (keyed by reservation id): if DynamoDB fails here the
        // reservation stands and the client's retry with the same Idempotency-Key adds it again.
        try {
          inCart = await store.addToCart(sessionId, result.body);
        } catch (err) {
          inCart = false;
          log('error', 'cart_update_failed', { reservationId: result.body.reservationId, sessionId, error: err.name || String(err) });
        }
      }
      return json(201, { ...result.body, inCart }, { ...headers, location: `/api/products/${encodeURIComponent(sku)}/reservations/${result.body.reservationId}` });
    },

    async createSession(request) {
      const body = (request.body && request.body.length) || request.bodyBytes ? parseBody(request, config.maxBodyBytes) : {};
      onlyKeys(body, [], 'session (send an empty body or {})');
      // Set only by the Lambda@Edge authenticator (it strips any viewer-supplied value).
      const userId = request.headers['x-catalog-user'];
      if (userId !== undefined && !USER_RE.test(userId)) throw new HttpError(400, 'x-catalog-user must be 1..128 characters of A-Z a-z 0-9 @ . _ : | -');
      const { session, created } = await aws(() => store.createSession(userId));
      return json(created ? 201 : 200, sessionJson(session));
    },

    async getSession(request, [rawId]) {
      const id = decodeSegment(rawId, 'sessionId');
      if (!UUID_RE.test(id)) throw new HttpError(400, 'sessionId must be a lowercase UUID');
      const session = await aws(() => store.getSession(id));
      if (!ownedBy(session, request)) throw new HttpError(404, `unknown or expired session ${id}`);
      return json(200, sessionJson(session));
    },
  };

  async function handle(request) {
    let template = 'unmatched';
    try {
      const route = matchRoute(request.method, request.path);
      if (!route) throw new HttpError(404, `no route for ${request.method} ${request.path}`);
      template = route.template;
      const response = await handlers[route.name](request, route.params);
      return { response, route: `${request.method} ${template}` };
    } catch (err) {
      if (err.template) template = err.template;
      const route = `${request.method} ${template}`;
      if (err instanceof HttpError) {
        if (err instanceof UnavailableError) log('error', 'dependency_unavailable', { dependency: err.dependency, error: describe(err.cause), route });
        return { response: json(err.status, { error: err.message, ...err.extra }, err.headers), route };
      }
      log('error', 'unhandled', { error: describe(err), stack: err && err.stack, route });
      return { response: json(500, { error: 'internal error' }), route };
    }
  }

  return { handle };
}

/**
 * A signed-in caller (x-catalog-user, set by the edge authenticator) sees only its own sessions;
 * someone else's is a 404, not a 403, so session ids cannot be probed.
 */
function ownedBy(session, request) {
  if (!session) return false;
  const user = request.headers['x-catalog-user'];
  return user === undefined || session.userId === user;
}

function sessionJson(session) {
  return {
    sessionId: session.sessionId,
    userId: session.userId ?? null,
    createdAt: session.createdAt,
    expiresAt: new Date(Number(session.expiresAt) * 1000).toISOString(),
    cart: Object.entries(session.cart || {}).sort((a, b) => String(a[1].reservedAt).localeCompare(String(b[1].reservedAt))).map(([reservationId, line]) => ({ reservationId, sku: line.sku, quantity: Number(line.quantity), reservedAt: line.reservedAt })),
  };
}

function describe(err) {
  if (!err) return 'unknown';
  return [err.name, err.code, err.message].filter(Boolean).join(': ');
}

function defaultLog(level, event, fields) {
  process.stderr.write(`${JSON.stringify({ level, event, ...fields, at: new Date().toISOString() })}\n`);
}

module.exports = { createApp, matchRoute, ROUTES };
