'use strict';
/** Wires config -> pools, store, metrics and the app, once per process (once per Lambda container). */
const { loadConfig } = require('./config');
const { createPools } = require('./db');
const { createStore } = require('./store');
const { createMetrics } = require('./metrics');
const { createApp } = require('./app');

function createRuntime(env = process.env, overrides = {}) {
  const config = loadConfig(env);
  const pools = overrides.pools || createPools(config);
  const store = overrides.store || createStore(config);
  const metrics = overrides.metrics || createMetrics(config);
  const app = createApp({ config, pools, store, log: overrides.log });

  /** Handle one normalized request and emit its EMF line. */
  async function serve(request) {
    const started = process.hrtime.bigint();
    const { response, route } = await app.handle(request);
    const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
    metrics.record({ route, status: response.status, latencyMs, requestId: request.requestId, source: request.source });
    return response;
  }

  return { config, pools, store, serve, close: () => pools.end() };
}

module.exports = { createRuntime };
