import { describe, expect, it } from "vitest";
import { ApiError, describeError, fetchTitles, formatDuration, titlesUrl } from "./api.js";

function answer(status, body) {
  return async () => ({ ok: status >= 200 && status < 300, status, text: async () => body });
}

describe("titlesUrl", () => {
  it("sends the trimmed query, the page size and the cursor", () => {
    expect(titlesUrl({ q: "  star wars ", cursor: "abc" })).toBe("/api/titles?q=star+wars&limit=20&cursor=abc");
    expect(titlesUrl({})).toBe("/api/titles?limit=20");
  });
});

describe("fetchTitles", () => {
  it("returns the page on 200", async () => {
    const page = await fetchTitles({}, answer(200, '{"items":[],"nextCursor":null,"limit":20}'));
    expect(page).toEqual({ items: [], nextCursor: null, limit: 20 });
  });

  it("carries the API's own error message and status", async () => {
    const failing = fetchTitles({}, answer(503, '{"error":"the database is unavailable; retry shortly","code":"database_unavailable"}'));
    await expect(failing).rejects.toMatchObject({ message: "the database is unavailable; retry shortly", status: 503, code: "database_unavailable" });
  });

  it("explains an error page that is not JSON", async () => {
    const failing = fetchTitles({}, answer(502, "<html>Bad Gateway</html>"));
    await expect(failing).rejects.toMatchObject({ message: "the API answered with an unexpected error", status: 502 });
  });

  it("refuses a 200 that is not a title list", async () => {
    await expect(fetchTitles({}, answer(200, "<html></html>"))).rejects.toMatchObject({ code: "bad_response" });
  });

  it("reports a network failure", async () => {
    const offline = async () => {
      throw new TypeError("fetch failed");
    };
    await expect(fetchTitles({}, offline)).rejects.toMatchObject({ status: 0, code: "network_error" });
  });
});

describe("describeError and formatDuration", () => {
  it("adds the HTTP status when there is one", () => {
    expect(describeError(new ApiError("limit must be an integer", 400, "validation_error"))).toBe("limit must be an integer (HTTP 400)");
    expect(describeError(new ApiError("the API could not be reached", 0, "network_error"))).toBe("the API could not be reached");
  });

  it("formats minutes as hours and minutes", () => {
    expect(formatDuration(45)).toBe("45 min");
    expect(formatDuration(120)).toBe("2 h");
    expect(formatDuration(117)).toBe("1 h 57 min");
  });
});
