'use strict';
/**
 * Lambda entry point (image CMD "src/handler.handler"): one handler for ALB and API Gateway
 * proxy events, plus `{"action": "migrate"}` for the once-per-deploy schema migration that the
 * stack runs with aws.lambda_.Invocation.
 */
const { createRuntime } = require('./runtime');
const { kindOf, toRequest, toResult } = require('./events');
const { migrate } = require('./migrate');

let runtime = null;

function getRuntime() {
  // Built on first use and kept for the container's life: pools survive between invocations.
  if (!runtime) runtime = createRuntime();
  return runtime;
}

async function handler(event, context = {}) {
  if (context) context.callbackWaitsForEmptyEventLoop = false;
  const rt = getRuntime();
  if (event && event.action === 'migrate') {
    // Throws on failure, so the Invocation (and with it `pulumi up`) fails loudly.
    const result = await migrate(rt.pools.writer, { statementTimeoutMs: rt.config.statementTimeoutMs });
    return { ok: true, ...result };
  }
  const kind = kindOf(event);
  if (!kind) throw new Error('unsupported event: expected an ALB or API Gateway (REST, AWS_PROXY) proxy event or {"action":"migrate"}');
  const response = await rt.serve(toRequest(event, kind, context));
  return toResult(response, event, kind);
}

/** Tests: drop the cached runtime (and its pools) so the next event reads the environment again. */
async function reset() {
  if (runtime) await runtime.close();
  runtime = null;
}

module.exports = { handler, reset };
