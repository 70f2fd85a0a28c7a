'use strict';
/**
 * Products and reservations in PostgreSQL: the SQL that keeps stock exact under a flash sale.
 *
 * A reservation is ONE statement (so one implicit transaction and one round trip):
 *
 *   upd:  UPDATE products SET stock = stock - q WHERE sku = s AND stock >= q RETURNING stock
 *   res:  INSERT INTO reservations ... SELECT ... FROM upd        (a row only if upd matched)
 *   idem: INSERT INTO idempotency_keys ... (only with an Idempotency-Key; runs before upd)
 *
 * Why it is exact: the UPDATE takes the product's row lock; a concurrent UPDATE of the same row
 * waits, then (READ COMMITTED) re-evaluates `stock >= q` against the committed new version, so
 * N concurrent requests for stock S succeed exactly min(N, S) times (quantity 1) and stock never
 * goes below 0 (the column's CHECK backs that up). Why a retry is never applied twice: the key
 * has a unique index, inserted in the same statement, before the UPDATE. A retry after the first
 * committed gets a unique violation before it touches the product, the statement rolls back, and
 * we replay the stored outcome. A concurrent duplicate blocks on the first's uncommitted index
 * entry, then gets the same violation when the first commits (or goes on if the first rolled
 * back). A statement never waits for a key while it holds a product lock (the key comes first),
 * so the two kinds of lock cannot deadlock. Outcomes 201 (reserved) and 409 (insufficient stock)
 * are recorded; 404 (no such SKU) is not.
 */
const crypto = require('node:crypto');

const PRODUCT_COLUMNS = 'sku, name, price::text AS price, stock, updated_at';

function productJson(row) {
  return { sku: row.sku, name: row.name, price: Number(row.price), stock: row.stock, updatedAt: new Date(row.updated_at).toISOString() };
}

async function listProducts(reader, { limit, after }) {
  const { rows } = await reader.query(
    `SELECT ${PRODUCT_COLUMNS} FROM products WHERE ($1::text IS NULL OR sku > $1) ORDER BY sku LIMIT $2`,
    [after, limit + 1],
  );
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  return { items: page.map(productJson), last: more ? page[page.length - 1].sku : null };
}

async function getProduct(reader, sku) {
  const { rows } = await reader.query(`SELECT ${PRODUCT_COLUMNS} FROM products WHERE sku = $1`, [sku]);
  return rows.length ? productJson(rows[0]) : null;
}

async function putProduct(writer, sku, { name, price, stock }) {
  // xmax = 0 only on a freshly inserted tuple: tells "created" from "updated" in one statement.
  const { rows } = await writer.query(
    `INSERT INTO products (sku, name, price, stock) VALUES ($1, $2, $3, $4)
     ON CONFLICT (sku) DO UPDATE SET name = EXCLUDED.name, price = EXCLUDED.price, stock = EXCLUDED.stock, updated_at = now()
     RETURNING ${PRODUCT_COLUMNS}, (xmax = 0) AS created`,
    [sku, name, price.toFixed(2), stock],
  );
  return { product: productJson(rows[0]), created: rows[0].created };
}

/**
 * UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits. Time-ordered ids append to the
 * right edge of the reservations primary key instead of touching a random leaf page per insert,
 * which keeps WAL (full-page images) and so the commit inside the hot row's lock window small.
 */
function uuidv7(now = Date.now()) {
  const bytes = crypto.randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (bytes[6] & 0x0f);
  bytes[8] = 0x80 | (bytes[8] & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function requestHash(sku, quantity, sessionId) {
  return crypto.createHash('sha256').update(JSON.stringify([sku, quantity, sessionId || null])).digest('hex');
}

// Both reservation statements end alike: record the reservation if the UPDATE matched, and
// answer with it and whether the SKU exists at all.
const RECORD_AND_ANSWER = `res AS (
  INSERT INTO reservations (id, sku, quantity, stock_after, session_id)
  SELECT $3::uuid, $1, $2, upd.stock, $4 FROM upd
  RETURNING id, stock_after, created_at
)
SELECT (SELECT id FROM res) AS id, (SELECT stock_after FROM res) AS stock_after,
       (SELECT created_at FROM res) AS created_at,
       EXISTS (SELECT 1 FROM products WHERE sku = $1) AS known`;

const RESERVE_SQL = `
WITH upd AS (
  UPDATE products SET stock = stock - $2, updated_at = now()
  WHERE sku = $1 AND stock >= $2
  RETURNING stock
), ${RECORD_AND_ANSWER}`;

// The same, plus the idempotency record, inserted FIRST: the UPDATE's `EXISTS (SELECT 1 FROM
// idem)` makes the key insert run before the product row is locked. So a duplicate fails (or
// waits for the first holder of its key) without touching the hot row, and the row lock's window
// is the same as without a key. The record holds the reservation id chosen up front; on replay,
// a reservation with that id means 201, none means the attempt found too little stock (409).
// The EXISTS on products gates the record, so a 404 (unknown SKU) is not stored.
const RESERVE_IDEMPOTENT_SQL = `
WITH idem AS (
  INSERT INTO idempotency_keys (key, request_hash, reservation_id)
  SELECT $5, $6, $3::uuid WHERE EXISTS (SELECT 1 FROM products WHERE sku = $1)
  RETURNING key
), upd AS (
  UPDATE products SET stock = stock - $2, updated_at = now()
  WHERE sku = $1 AND stock >= $2 AND EXISTS (SELECT 1 FROM idem)
  RETURNING stock
), ${RECORD_AND_ANSWER}`;

function reservationBody(row, sku, quantity, sessionId) {
  return {
    reservationId: row.id,
    sku,
    quantity,
    remaining: row.stock_after,
    sessionId: sessionId || null,
    createdAt: new Date(row.created_at).toISOString(),
  };
}

function outcome(row, sku, quantity, sessionId) {
  if (row.id) return { status: 201, body: reservationBody(row, sku, quantity, sessionId) };
  if (!row.known) return { status: 404, body: { error: `unknown sku ${JSON.stringify(sku)}` } };
  return { status: 409, body: { error: 'insufficient stock', sku, requested: quantity } };
}

async function replay(writer, key, hash, sku, quantity, sessionId) {
  const { rows } = await writer.query(
    `SELECT k.request_hash, r.id, r.stock_after, r.created_at
     FROM idempotency_keys k LEFT JOIN reservations r ON r.id = k.reservation_id WHERE k.key = $1`,
    [key],
  );
  if (!rows.length) return null; // the other request rolled back in between: try again
  const row = rows[0];
  if (row.request_hash !== hash) {
    return { status: 422, body: { error: 'Idempotency-Key was already used with a different request (sku, quantity or sessionId)' }, replayed: true };
  }
  if (row.id) return { status: 201, body: reservationBody(row, sku, quantity, sessionId), replayed: true };
  return { status: 409, body: { error: 'insufficient stock', sku, requested: quantity }, replayed: true };
}

async function reserve(writer, { sku, quantity, sessionId, idempotencyKey }) {
  const id = uuidv7();
  if (!idempotencyKey) {
    const { rows } = await writer.query(RESERVE_SQL, [sku, quantity, id, sessionId || null]);
    return outcome(rows[0], sku, quantity, sessionId);
  }
  const hash = requestHash(sku, quantity, sessionId);
  // Bounded: each lap means another request with this key committed or rolled back meanwhile.
  for (let attempt = 0; attempt < 3; attempt += 1) {
    try {
      const { rows } = await writer.query(RESERVE_IDEMPOTENT_SQL, [sku, quantity, id, sessionId || null, idempotencyKey, hash]);
      return { ...outcome(rows[0], sku, quantity, sessionId), replayed: false };
    } catch (err) {
      if (err.code !== '23505' || err.constraint !== 'idempotency_keys_pkey') throw err;
    }
    const previous = await replay(writer, idempotencyKey, hash, sku, quantity, sessionId);
    if (previous) return previous;
  }
  throw new Error('idempotency key kept flipping between attempts');
}

// The statements are exported for the benchmark's floor, which issues exactly these directly.
module.exports = { listProducts, getProduct, putProduct, reserve, requestHash, uuidv7, RESERVE_SQL, RESERVE_IDEMPOTENT_SQL };
