// The catalog API client: one place that turns HTTP answers into data or a readable ApiError.

export class ApiError extends Error {
  constructor(message, status, code) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

export const PAGE_SIZE = 20;

export function titlesUrl({ q = "", cursor = null, limit = PAGE_SIZE } = {}) {
  const params = new URLSearchParams();
  if (q.trim()) params.set("q", q.trim());
  params.set("limit", String(limit));
  if (cursor) params.set("cursor", cursor);
  return `/api/titles?${params.toString()}`;
}

export async function fetchTitles(query, fetchImpl = globalThis.fetch) {
  let response;
  try {
    response = await fetchImpl(titlesUrl(query), { headers: { Accept: "application/json" } });
  } catch {
    throw new ApiError("the API could not be reached; check your connection", 0, "network_error");
  }
  const text = await response.text();
  let body = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = body && typeof body.error === "string" ? body.error : "the API answered with an unexpected error";
    throw new ApiError(message, response.status, (body && body.code) || "http_error");
  }
  if (!body || !Array.isArray(body.items)) {
    throw new ApiError("the API answered with something that is not a list of titles", response.status, "bad_response");
  }
  return body;
}

export function describeError(error) {
  if (error instanceof ApiError && error.status > 0) return `${error.message} (HTTP ${error.status})`;
  return error.message;
}

export function formatDuration(minutes) {
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}
