'use strict';
/**
 * Local HTTP server (`npm start`): the same routes as in Lambda over plain HTTP on 127.0.0.1.
 * PORT (default 8080), HOST (default 127.0.0.1), plus the service's environment (README).
 */
const http = require('node:http');
const { createRuntime } = require('./runtime');

function readBody(req, limit) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk) => {
      size += chunk.length;
      // Keep reading (so the client gets the answer, not a reset) but stop storing.
      if (size > limit) over = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(over ? { over: true, size } : { body: Buffer.concat(chunks) }));
    req.on('error', reject);
  });
}

function createServer(runtime) {
  let counter = 0;
  return http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, 'http://local');
      const limit = runtime.config.maxBodyBytes;
      const read = await readBody(req, limit);
      const query = {};
      for (const [k, v] of url.searchParams) query[k] = v;
      const headers = {};
      for (const [k, v] of Object.entries(req.headers)) headers[k] = Array.isArray(v) ? v[v.length - 1] : v;
      counter += 1;
      const response = await runtime.serve({
        method: req.method,
        path: url.pathname,
        query,
        headers,
        body: read.over ? null : read.body,
        bodyBytes: read.over ? read.size : undefined,
        source: 'local',
        requestId: `local-${process.pid}-${counter}`,
      });
      // An explicit length: one write, no chunked framing.
      res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
      res.end(response.body);
    } catch (err) {
      process.stderr.write(`${JSON.stringify({ level: 'error', event: 'server_error', error: String(err) })}\n`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
      res.end(JSON.stringify({ error: 'internal error' }));
    }
  });
}

async function main() {
  const runtime = createRuntime();
  const port = Number(process.env.PORT || 8080);
  const host = process.env.HOST || '127.0.0.1';
  const server = createServer(runtime);
  server.keepAliveTimeout = 65000;
  await new Promise((resolve) => server.listen(port, host, resolve));
  process.stderr.write(`${JSON.stringify({ level: 'info', event: 'listening', url: `http://${host}:${server.address().port}` })}\n`);
  const stop = () => server.close(() => runtime.close().then(() => process.exit(0)));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (require.main === module) {
  main().catch((err) => {
    process.stderr.write(`error: ${err.message}\n`);
    process.exit(2);
  });
}

module.exports = { createServer };
