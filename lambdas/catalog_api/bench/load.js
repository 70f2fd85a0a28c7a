'use strict';
/**
 * Reservation throughput and latency at C concurrent clients (default 50), through the service
 * (local HTTP server, the same code as in Lambda), through the Lambda handler path in-process
 * (ALB events, no network hop) and, as the floor, the service's own atomic reservation statement
 * (src/catalog.js: the conditional UPDATE and the reservation INSERT in one statement; with a key,
 * the idempotency record too) issued directly with pg by C clients on C connections, with the
 * same parameters the service sends. The bare conditional UPDATE (no reservation recorded) is
 * printed beside it for reference. One hot SKU: a flash sale, where every request contends for
 * the same row lock. A real PostgreSQL from the test harness.
 *
 *   node bench/load.js [--clients 50] [--seconds 5] [--rounds 3] [--json]
 *
 * BENCH_POOL overrides the service's pool size (default: one connection per client, like the
 * floor). Prints figures; asserts nothing (targets live here, not in tests).
 */
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { Client } = require('pg');
const h = require('../test/harness');
const { RESERVE_SQL, RESERVE_IDEMPOTENT_SQL, requestHash, uuidv7 } = require('../src/catalog');

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}
const CLIENTS = arg('clients', 50);
const SECONDS = arg('seconds', 5);
const ROUNDS = arg('rounds', 3);
const WARMUP_MS = 1000;
const SKU = 'BENCH-HOT-1';
const BARE_UPDATE_SQL = 'UPDATE products SET stock = stock - $2, updated_at = now() WHERE sku = $1 AND stock >= $2 RETURNING stock';

function percentile(sorted, p) {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** C workers, each looping `op` until the deadline; latencies after the warm-up only. */
async function drive(op) {
  const latencies = [];
  let errors = 0;
  const start = Date.now();
  const measureFrom = start + WARMUP_MS;
  const end = measureFrom + SECONDS * 1000;
  let measuredOps = 0;
  async function worker(w) {
    let n = 0;
    while (Date.now() < end) {
      const t0 = process.hrtime.bigint();
      const ok = await op(w, n).catch(() => false);
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      n += 1;
      if (Date.now() >= measureFrom) {
        measuredOps += 1;
        if (ok) latencies.push(ms);
        else errors += 1;
      }
    }
  }
  await Promise.all(Array.from({ length: CLIENTS }, (_, w) => worker(w)));
  const elapsed = (Date.now() - measureFrom) / 1000;
  latencies.sort((a, b) => a - b);
  return { ops: latencies.length, errors, rps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99), measuredOps };
}

async function restock(url) {
  const c = new Client({ connectionString: url });
  await c.connect();
  await c.query("INSERT INTO products (sku, name, price, stock) VALUES ($1, 'Bench item', 9.99, 1000000000) ON CONFLICT (sku) DO UPDATE SET stock = 1000000000", [SKU]);
  await c.query('TRUNCATE idempotency_keys, reservations');
  await c.end();
}

/** C pg clients on C connections, each looping one statement: `statement(w, n)` -> [sql, params]. */
async function direct(url, statement, succeeded) {
  const clients = await Promise.all(Array.from({ length: CLIENTS }, async () => {
    const c = new Client({ connectionString: url });
    await c.connect();
    return c;
  }));
  try {
    return await drive(async (w, n) => succeeded(await clients[w].query(...statement(w, n))));
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

const reserved = (result) => result.rows[0].id !== null;

/** The floor: the service's reservation statement, with the parameters the service would send. */
function floor(url, { idempotent }) {
  if (!idempotent) return direct(url, () => [RESERVE_SQL, [SKU, 1, uuidv7(), null]], reserved);
  const hash = requestHash(SKU, 1, null);
  const key = (w, n) => `floor-${process.pid}-${w}-${n}-${idempotent}`;
  return direct(url, (w, n) => [RESERVE_IDEMPOTENT_SQL, [SKU, 1, uuidv7(), null, key(w, n), hash]], reserved);
}

/** Reference only: the conditional UPDATE alone, recording no reservation. */
function bareUpdate(url) {
  return direct(url, () => [BARE_UPDATE_SQL, [SKU, 1]], (result) => result.rowCount === 1);
}

async function startQuietService(env) {
  const port = await h.freePort();
  const root = path.join(__dirname, '..');
  // EMF lines stay on (their cost is part of the service) but go to /dev/null.
  const child = spawn('node', [path.join(root, 'src', 'server.js')], { cwd: root, env: { ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i += 1) {
    try {
      await fetch(`${url}/health`);
      return { url, port, stop: () => child.kill('SIGTERM') };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill('SIGKILL');
  throw new Error('service did not start');
}

/**
 * A minimal keep-alive HTTP/1.1 client, one socket per worker. Not node:http: on a 2-core box the
 * load generator shares the CPU with the service and PostgreSQL, and node:http's client costs
 * more CPU per request than the service's own handler. The service still runs node:http.
 */
function rawClient(port) {
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  let buffer = Buffer.alloc(0);
  let pending = null;
  socket.on('data', (chunk) => {
    buffer = buffer.length ? Buffer.concat([buffer, chunk]) : chunk;
    if (!pending) return;
    const end = buffer.indexOf('\r\n\r\n');
    if (end < 0) return;
    const head = buffer.subarray(0, end).toString('latin1');
    const m = /\r\ncontent-length: *(\d+)/i.exec(head);
    if (!m) {
      pending.reject(new Error('response without content-length'));
      pending = null;
      return;
    }
    const length = Number(m[1]);
    if (buffer.length < end + 4 + length) return;
    const status = Number(head.slice(9, 12));
    buffer = buffer.subarray(end + 4 + length);
    const done = pending;
    pending = null;
    done.resolve(status);
  });
  socket.on('error', (err) => pending && pending.reject(err));
  return {
    ready: new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    }),
    request(text) {
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        socket.write(text);
      });
    },
    close: () => socket.destroy(),
  };
}

async function service(env, { idempotent }) {
  const svc = await startQuietService(env);
  const body = JSON.stringify({ quantity: 1 });
  const clients = Array.from({ length: CLIENTS }, () => rawClient(svc.port));
  await Promise.all(clients.map((c) => c.ready));
  const op = async (w, n) => {
    const key = idempotent ? `Idempotency-Key: bench-${process.pid}-${w}-${n}-${idempotent}\r\n` : '';
    const text = `POST /api/products/${SKU}/reservations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${key}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    return (await clients[w].request(text)) === 201;
  };
  try {
    return await drive(op);
  } finally {
    clients.forEach((c) => c.close());
    svc.stop();
  }
}

/**
 * The Lambda code path without a network hop: ALB events through the same adapter, runtime
 * and pools as the handler (in Lambda the event comes from the runtime API, not an HTTP server).
 * EMF lines are formatted as usual and dropped.
 */
async function inProcess(env, { idempotent }) {
  const { createRuntime } = require('../src/runtime');
  const { createMetrics } = require('../src/metrics');
  const { loadConfig } = require('../src/config');
  const { toRequest, toResult } = require('../src/events');
  const rt = createRuntime(env, { metrics: createMetrics(loadConfig(env), () => {}) });
  const body = JSON.stringify({ quantity: 1 });
  const op = async (w, n) => {
    const headers = { 'content-type': 'application/json' };
    if (idempotent) headers['idempotency-key'] = `inproc-${process.pid}-${w}-${n}-${idempotent}`;
    const event = { requestContext: { elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bench/1' } }, httpMethod: 'POST', path: `/api/products/${SKU}/reservations`, queryStringParameters: {}, headers, body, isBase64Encoded: false };
    return toResult(await rt.serve(toRequest(event, 'alb')), event, 'alb').statusCode === 201;
  };
  try {
    return await drive(op);
  } finally {
    await rt.close();
  }
}

function fmt(r) {
  return `${r.rps.toFixed(0).padStart(6)} reservations/s   p50 ${r.p50.toFixed(2).padStart(6)} ms   p99 ${r.p99.toFixed(2).padStart(7)} ms   (${r.ops} ok, ${r.errors} failed)`;
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** The median round (by throughput) of several, so one noisy round on a shared CPU cannot decide. */
function pick(results) {
  const m = median(results.map((r) => r.rps));
  return results.find((r) => r.rps === m);
}

async function main() {
  const pg = await h.startPostgres();
  try {
    // No DynamoDB: a reservation without a sessionId never touches it, and migrate then
    // creates no local tables.
    const env = h.serviceEnv(pg, null, { PG_POOL_MAX: process.env.BENCH_POOL || String(CLIENTS), METRICS: 'on' });
    delete env.AWS_ENDPOINT_URL;
    const migrated = h.npmMigrate(env);
    if (migrated.status !== 0) throw new Error(migrated.stderr);
    const runs = { bare: [], floor: [], floorIdempotent: [], service: [], serviceIdempotent: [], handler: [], handlerIdempotent: [] };
    // Interleaved rounds: every variant sees the same background load.
    for (let round = 0; round < ROUNDS; round += 1) {
      await restock(pg.url);
      runs.bare.push(await bareUpdate(pg.url));
      await restock(pg.url);
      runs.floor.push(await floor(pg.url, { idempotent: false }));
      await restock(pg.url);
      runs.floorIdempotent.push(await floor(pg.url, { idempotent: `r${round}` }));
      await restock(pg.url);
      runs.service.push(await service(env, { idempotent: false }));
      await restock(pg.url);
      runs.serviceIdempotent.push(await service(env, { idempotent: `r${round}` }));
      await restock(pg.url);
      runs.handler.push(await inProcess(env, { idempotent: false }));
      await restock(pg.url);
      runs.handlerIdempotent.push(await inProcess(env, { idempotent: `r${round}` }));
    }
    const bare = pick(runs.bare);
    const floorResult = pick(runs.floor);
    const floorKeyed = pick(runs.floorIdempotent);
    const plain = pick(runs.service);
    const keyed = pick(runs.serviceIdempotent);
    const handler = pick(runs.handler);
    const handlerKeyed = pick(runs.handlerIdempotent);
    const report = {
      clients: CLIENTS,
      seconds: SECONDS,
      rounds: ROUNDS,
      bareUpdate: bare,
      floor: floorResult,
      floorIdempotent: floorKeyed,
      service: plain,
      serviceIdempotent: keyed,
      handler,
      handlerIdempotent: handlerKeyed,
      loadavg: require('node:os').loadavg(),
      cpus: require('node:os').cpus().length,
      ratio: {
        p50: plain.p50 / floorResult.p50,
        throughput: floorResult.rps / plain.rps,
        idempotentP50: keyed.p50 / floorKeyed.p50,
        idempotentThroughput: floorKeyed.rps / keyed.rps,
        handlerThroughput: floorResult.rps / handler.rps,
        handlerIdempotentThroughput: floorKeyed.rps / handlerKeyed.rps,
        bareUpdateThroughput: bare.rps / plain.rps,
      },
    };
    if (process.argv.includes('--json')) {
      process.stdout.write(`${JSON.stringify(report)}\n`);
      return;
    }
    console.log(`catalog reservations: ${CLIENTS} concurrent clients, one hot SKU, median of ${ROUNDS} interleaved rounds of ${SECONDS} s (after ${WARMUP_MS} ms warm-up), local PostgreSQL:`);
    console.log(`  bare UPDATE (reference, records nothing) ${fmt(bare)}`);
    console.log(`  floor   (pg, the reservation statement) ${fmt(floorResult)}`);
    console.log(`  floor   (pg, the keyed statement)       ${fmt(floorKeyed)}`);
    console.log(`  service (HTTP, no Idempotency-Key)     ${fmt(plain)}`);
    console.log(`  service (HTTP, Idempotency-Key)        ${fmt(keyed)}`);
    console.log(`  handler (ALB events, no HTTP hop)      ${fmt(handler)}`);
    console.log(`  handler (ALB events, Idempotency-Key)  ${fmt(handlerKeyed)}`);
    console.log(`  service/floor: p50 ${report.ratio.p50.toFixed(2)}x, throughput ${report.ratio.throughput.toFixed(2)}x; with Idempotency-Key: p50 ${report.ratio.idempotentP50.toFixed(2)}x, throughput ${report.ratio.idempotentThroughput.toFixed(2)}x (target < 1.5x; keyed against the keyed floor)`);
    console.log(`  bare UPDATE/service throughput: ${report.ratio.bareUpdateThroughput.toFixed(2)}x (what recording the reservation costs is in the floor)`);
    console.log(`  handler/floor throughput: ${report.ratio.handlerThroughput.toFixed(2)}x, with Idempotency-Key ${report.ratio.handlerIdempotentThroughput.toFixed(2)}x`);
    console.log(`  host load average at the end: ${report.loadavg.map((l) => l.toFixed(1)).join(' ')} on ${report.cpus} CPUs`);
  } finally {
    pg.stop();
  }
}

main().catch((err) => {
  console.error(`error: ${err.stack || err}`);
  process.exit(1);
});
