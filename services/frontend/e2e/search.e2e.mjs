// End-to-end check of the built app in headless Chromium (Debian's /usr/bin/chromium, driven by
// playwright-core; never a downloaded browser), against the real backend and PostgreSQL behind
// BASE_URL. unit/services/test_frontend_e2e.py starts those and runs the two phases:
//   PHASE=search  seeds titles through the API, then lists, pages, searches and hits the empty state
//   PHASE=outage  (the database stopped) checks the error banner a person sees
//   PHASE=recovery (the database back) the person presses Retry until the titles are back
// Screenshots go to SCREENSHOT_DIR. Exits non-zero with the failed check on stderr.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const BASE_URL = process.env.BASE_URL;
const PHASE = process.env.PHASE ?? "search";
const SHOTS = process.env.SCREENSHOT_DIR ?? "out/e2e";
assert.ok(BASE_URL, "set BASE_URL to the frontend server, e.g. http://127.0.0.1:8080");

const SEED = [
  { title: "Star Wars", year: 1977, genres: ["sci-fi", "adventure"], durationMinutes: 121 },
  { title: "Star Trek", year: 2009, genres: ["sci-fi"], durationMinutes: 127 },
  { title: "Stardust", year: 2007, genres: ["fantasy"], durationMinutes: 127 },
  { title: "Alien", year: 1979, genres: ["sci-fi", "horror"], durationMinutes: 117 },
  ...Array.from({ length: 19 }, (_, n) => ({
    title: `Catalog Title ${String(n + 1).padStart(2, "0")}`,
    year: 2000 + n,
    genres: ["drama"],
    durationMinutes: 90 + n,
  })),
];

async function seed() {
  for (const title of SEED) {
    const res = await fetch(new URL("/api/titles", BASE_URL), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(title),
    });
    assert.equal(res.status, 201, `seeding ${title.title}: HTTP ${res.status} ${await res.text()}`);
  }
}

const rowTexts = (page) =>
  page.$$eval('[data-testid="title-row"]', (rows) => rows.map((row) => [...row.cells].map((cell) => cell.textContent)));

async function search(page, text) {
  await page.fill("#q", text);
  await Promise.all([page.waitForResponse((res) => res.url().includes("/api/titles")), page.click('button[type="submit"]')]);
}

async function searchPhase(page) {
  await seed();
  await page.goto(BASE_URL);
  await page.waitForSelector('[data-testid="title-row"]');
  assert.equal(await page.title(), "Media catalog");
  let rows = await rowTexts(page);
  assert.equal(rows.length, 20, "the first page shows 20 titles");
  assert.deepEqual(rows[0], ["Alien", "1979", "sci-fi, horror", "1 h 57 min"]);
  await page.click("text=Load more");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="title-row"]').length === 23);
  assert.equal(await page.locator("text=Load more").count(), 0, "no Load more after the last page");

  await search(page, "star");
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="title-row"]').length === 3);
  rows = await rowTexts(page);
  assert.deepEqual(rows, [
    ["Star Trek", "2009", "sci-fi", "2 h 7 min"],
    ["Star Wars", "1977", "sci-fi, adventure", "2 h 1 min"],
    ["Stardust", "2007", "fantasy", "2 h 7 min"],
  ]);
  await page.screenshot({ path: path.join(SHOTS, "search-results.png"), fullPage: true });

  await search(page, "no such film");
  const empty = await page.waitForSelector('[data-testid="empty-state"]');
  assert.equal(await empty.textContent(), "No titles match “no such film”.");
  assert.equal(await page.locator('[data-testid="title-row"]').count(), 0);
  assert.equal(await page.locator('[role="alert"]').count(), 0, "no error banner on an empty result");
  await page.screenshot({ path: path.join(SHOTS, "empty-state.png"), fullPage: true });
}

async function outagePhase(page) {
  await page.goto(BASE_URL);
  const banner = await page.waitForSelector('[role="alert"]');
  assert.equal(
    await banner.textContent(),
    "Could not load titles: the database is unavailable; retry shortly (HTTP 503)Retry",
  );
  assert.equal(await page.locator('[data-testid="title-row"]').count(), 0);
  await page.screenshot({ path: path.join(SHOTS, "database-outage.png"), fullPage: true });
}

async function recoveryPhase(page) {
  await page.goto(BASE_URL);
  // The backend reconnects with backoff: like a person, press Retry while the banner is there (bounded).
  for (let attempt = 0; attempt < 30; attempt += 1) {
    const settled = await page.waitForSelector('[data-testid="title-row"], [role="alert"]');
    if ((await settled.getAttribute("data-testid")) === "title-row") break;
    await page.waitForTimeout(1000);
    await page.click('[role="alert"] button');
  }
  await page.waitForSelector('[data-testid="title-row"]');
  assert.equal(await page.locator('[role="alert"]').count(), 0, "the banner is gone once the API answers");
  assert.equal((await rowTexts(page)).length, 20);
  await page.screenshot({ path: path.join(SHOTS, "recovered.png"), fullPage: true });
}

mkdirSync(SHOTS, { recursive: true });
const profile = mkdtempSync(path.join(tmpdir(), "e2e-chromium-"));
// A fresh, empty profile each run (Playwright passes it as --user-data-dir).
const browser = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  headless: true,
  viewport: { width: 1100, height: 900 },
  args: [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
  ],
});
const failures = [];
try {
  const page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(15000);
  page.on("pageerror", (error) => failures.push(`page error: ${error.message}`));
  if (PHASE === "search") await searchPhase(page);
  else if (PHASE === "outage") await outagePhase(page);
  else if (PHASE === "recovery") await recoveryPhase(page);
  else throw new Error(`PHASE must be search, outage or recovery, got ${PHASE}`);
  assert.deepEqual(failures, [], "the page raised no script errors");
  console.log(`e2e ${PHASE}: ok (screenshots in ${SHOTS})`);
} finally {
  await browser.close();
  rmSync(profile, { recursive: true, force: true });
}
