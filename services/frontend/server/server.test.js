import { mkdtempSync, mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer } from "./server.mjs";

function listen(server) {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(`http://127.0.0.1:${server.address().port}`)));
}

describe("static server", () => {
  let root;
  let base;
  let proxied;
  let backend;
  let servers = [];

  beforeAll(async () => {
    root = mkdtempSync(path.join(tmpdir(), "frontend-"));
    mkdirSync(path.join(root, "assets"));
    writeFileSync(path.join(root, "index.html"), "<html>app</html>");
    writeFileSync(path.join(root, "assets", "app-1234.js"), "console.log(1)");
    writeFileSync(path.join(tmpdir(), "secret.txt"), "outside");
    backend = http.createServer((req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ path: req.url }));
    });
    const backendUrl = await listen(backend);
    const plain = createServer({ root });
    const withApi = createServer({ root, apiTarget: backendUrl });
    servers = [backend, plain, withApi];
    base = await listen(plain);
    proxied = await listen(withApi);
  });

  afterAll(() => {
    for (const server of servers) server.close();
  });

  it("answers its own /health", async () => {
    const res = await fetch(`${base}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "ok" });
  });

  it("serves index.html uncached and fingerprinted assets immutable", async () => {
    const index = await fetch(`${base}/`);
    expect(await index.text()).toBe("<html>app</html>");
    expect(index.headers.get("cache-control")).toBe("no-cache");
    expect(index.headers.get("content-type")).toBe("text/html; charset=utf-8");
    const asset = await fetch(`${base}/assets/app-1234.js`);
    expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(asset.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  });

  it("falls back to the app for client routes but 404s missing files", async () => {
    expect(await (await fetch(`${base}/titles/42`)).text()).toBe("<html>app</html>");
    expect((await fetch(`${base}/assets/missing.js`)).status).toBe(404);
  });

  it("never serves files outside its root", async () => {
    const res = await fetch(`${base}/..%2Fsecret.txt`);
    expect(res.status).toBe(404);
  });

  it("proxies /api only when a target is configured", async () => {
    expect((await fetch(`${base}/api/titles`)).status).toBe(404);
    const res = await fetch(`${proxied}/api/titles?q=x`);
    expect(await res.json()).toEqual({ path: "/api/titles?q=x" });
  });

  it("answers 502 JSON when the API is unreachable", async () => {
    const dead = createServer({ root, apiTarget: "http://127.0.0.1:9" });
    const url = await listen(dead);
    const res = await fetch(`${url}/api/titles`);
    dead.close();
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ error: "the API is unreachable", code: "bad_gateway" });
  });
});
