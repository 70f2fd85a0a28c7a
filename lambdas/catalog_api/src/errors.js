'use strict';
/** The two error kinds the service answers with on purpose: client errors (4xx) and outages (503). */

class HttpError extends Error {
  constructor(status, message, extra = {}, headers = {}) {
    super(message);
    this.status = status;
    this.extra = extra;
    this.headers = headers;
  }
}

/** A dependency (PostgreSQL, DynamoDB) is down, slow or refusing: the client may retry later. */
class UnavailableError extends HttpError {
  constructor(dependency, cause) {
    super(503, `${dependency} unavailable, retry later`, {}, { 'retry-after': '1' });
    this.dependency = dependency;
    this.cause = cause;
  }
}

// SQLSTATE classes that mean "the database cannot serve this now", not "the query is wrong":
// 08 connection exception, 53 insufficient resources (too many connections), 57 operator
// intervention (57014 statement timeout, 57P01 admin shutdown, 57P03 cannot connect now),
// 58 system error, 28 auth (an IAM token the proxy refuses: nothing the client can fix),
// 40 transaction rollback (serialization/deadlock: retryable), 55P03 lock not available.
const UNAVAILABLE_CLASSES = new Set(['08', '53', '57', '58', '28', '40']);

function isDatabaseUnavailable(err) {
  if (!err) return false;
  const code = typeof err.code === 'string' ? err.code : '';
  if (/^[0-9A-Z]{5}$/.test(code)) return UNAVAILABLE_CLASSES.has(code.slice(0, 2)) || code === '55P03';
  // No SQLSTATE: a socket error (ECONNREFUSED, ETIMEDOUT, ...), pg-pool's connect timeout,
  // pg's client-side query timeout or a connection cut mid-query. All mean "no database".
  return true;
}

function isAwsUnavailable(err) {
  if (!err) return false;
  if (err.$metadata && err.$metadata.httpStatusCode && err.$metadata.httpStatusCode < 500) {
    // Throttling is a 400 in DynamoDB's protocol, but it is an outage from the client's view.
    return /Throttl|LimitExceeded|RequestLimit/.test(err.name || '');
  }
  return true;
}

module.exports = { HttpError, UnavailableError, isDatabaseUnavailable, isAwsUnavailable };
