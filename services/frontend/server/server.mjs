// The frontend's static server: dist/ with caching headers, its own /health, and (local runs and the
// e2e test only) an optional proxy of /api/* to the backend. No dependencies beyond Node itself.
//
// Env: PORT (8080), HOST (127.0.0.1; the container sets 0.0.0.0), STATIC_ROOT (../dist),
// API_PROXY_TARGET (e.g. http://127.0.0.1:8000; unset in AWS, where the ALB routes /api/*).
import { createReadStream } from "node:fs";
import { readFile, stat } from "node:fs/promises";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".txt": "text/plain; charset=utf-8",
  ".woff2": "font/woff2",
};

const SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'self'",
};

function sendJson(res, status, body) {
  res.writeHead(status, { "Content-Type": "application/json", "Cache-Control": "no-store", ...SECURITY_HEADERS });
  res.end(JSON.stringify(body));
}

function proxy(req, res, target) {
  const upstream = new URL(req.url, target);
  const forward = http.request(
    upstream,
    { method: req.method, headers: { ...req.headers, host: upstream.host }, timeout: 15000 },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  forward.on("timeout", () => forward.destroy(new Error("upstream timeout")));
  forward.on("error", () => {
    if (!res.headersSent) sendJson(res, 502, { error: "the API is unreachable", code: "bad_gateway" });
    else res.destroy();
  });
  req.pipe(forward);
}

export function createServer({ root, apiTarget = null }) {
  const staticRoot = path.resolve(root);
  const index = path.join(staticRoot, "index.html");

  async function serveFile(res, file, method) {
    const info = await stat(file);
    const ext = path.extname(file);
    const immutable = file.startsWith(path.join(staticRoot, "assets") + path.sep);
    res.writeHead(200, {
      "Content-Type": TYPES[ext] ?? "application/octet-stream",
      "Content-Length": info.size,
      // Vite fingerprints assets/, so they never change; index.html must be revalidated each time.
      "Cache-Control": immutable ? "public, max-age=31536000, immutable" : "no-cache",
      ...SECURITY_HEADERS,
    });
    if (method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
  }

  return http.createServer(async (req, res) => {
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, "http://localhost").pathname);
    } catch {
      return sendJson(res, 400, { error: "malformed URL", code: "bad_request" });
    }
    if (pathname === "/api" || pathname.startsWith("/api/")) {
      if (apiTarget) return proxy(req, res, apiTarget);
      return sendJson(res, 404, { error: "no API behind this server", code: "not_found" });
    }
    if (pathname === "/health") {
      try {
        await stat(index);
        return sendJson(res, 200, { status: "ok" });
      } catch {
        return sendJson(res, 503, { status: "unavailable", error: "index.html is missing" });
      }
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return sendJson(res, 405, { error: `${req.method} is not allowed`, code: "method_not_allowed" });
    }
    const file = path.resolve(staticRoot, "." + pathname);
    if (file !== staticRoot && !file.startsWith(staticRoot + path.sep)) {
      return sendJson(res, 404, { error: "not found", code: "not_found" });
    }
    try {
      const info = await stat(file);
      if (info.isFile()) return await serveFile(res, file, req.method);
    } catch {
      // fall through: a client-side route or a missing file
    }
    // Paths with an extension are files that do not exist; the others are the single-page app's routes.
    if (path.extname(pathname)) return sendJson(res, 404, { error: "not found", code: "not_found" });
    try {
      return await serveFile(res, index, req.method);
    } catch {
      return sendJson(res, 503, { error: "index.html is missing", code: "unavailable" });
    }
  });
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const root = process.env.STATIC_ROOT ?? path.join(here, "..", "dist");
  const port = Number(process.env.PORT ?? 8080);
  const host = process.env.HOST ?? "127.0.0.1";
  await readFile(path.join(root, "index.html")).catch(() => {
    console.error(`no index.html under ${root}: run npm run build first`);
    process.exit(2);
  });
  const server = createServer({ root, apiTarget: process.env.API_PROXY_TARGET || null });
  server.listen(port, host, () => console.log(`frontend on http://${host}:${port} (static ${root})`));
  const stop = () => {
    server.close(() => process.exit(0));
    setTimeout(() => process.exit(0), 5000).unref(); // do not wait on slow keep-alive clients
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}
