'use strict';
/**
 * Lambda proxy events -> the app's request, and the app's response -> the proxy's result.
 *
 * ALB (lambda target group): `requestContext.elb`; query values arrive percent-encoded as sent
 * (the ALB does not decode them); with multi-value headers enabled on the target group the event
 * has `multiValueHeaders`/`multiValueQueryStringParameters` and the response must answer in
 * kind. API Gateway REST (AWS_PROXY, payload 1.0): decoded query values, both header forms.
 */

function lowerHeaders(event) {
  const headers = {};
  if (event.multiValueHeaders) {
    for (const [k, v] of Object.entries(event.multiValueHeaders)) if (Array.isArray(v) && v.length) headers[k.toLowerCase()] = v[v.length - 1];
  }
  if (event.headers) for (const [k, v] of Object.entries(event.headers)) if (v !== null && v !== undefined) headers[k.toLowerCase()] = String(v);
  return headers;
}

function decodeQuery(value, encoded) {
  if (!encoded) return value;
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value; // left as sent; the route's validation rejects it with a 400
  }
}

function queryOf(event, encoded) {
  const query = {};
  if (event.multiValueQueryStringParameters) {
    for (const [k, v] of Object.entries(event.multiValueQueryStringParameters)) if (Array.isArray(v) && v.length) query[decodeQuery(k, encoded)] = decodeQuery(v[v.length - 1], encoded);
  } else if (event.queryStringParameters) {
    for (const [k, v] of Object.entries(event.queryStringParameters)) if (v !== null && v !== undefined) query[decodeQuery(k, encoded)] = decodeQuery(String(v), encoded);
  }
  return query;
}

function bodyOf(event) {
  if (event.body === null || event.body === undefined || event.body === '') return null;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

function kindOf(event) {
  if (event && event.requestContext && event.requestContext.elb) return 'alb';
  if (event && typeof event.httpMethod === 'string' && event.requestContext && (event.requestContext.apiId || event.requestContext.stage)) return 'apigateway';
  return null;
}

function toRequest(event, kind, context = {}) {
  const headers = lowerHeaders(event);
  return {
    method: String(event.httpMethod).toUpperCase(),
    path: event.path || '/',
    query: queryOf(event, kind === 'alb'),
    headers,
    body: bodyOf(event),
    source: kind,
    requestId: (kind === 'apigateway' && event.requestContext.requestId) || headers['x-amzn-trace-id'] || context.awsRequestId || null,
  };
}

const REASONS = { 200: 'OK', 201: 'Created', 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large', 415: 'Unsupported Media Type', 422: 'Unprocessable Content', 500: 'Internal Server Error', 503: 'Service Unavailable' };

function toResult(response, event, kind) {
  const result = { statusCode: response.status, body: response.body, isBase64Encoded: false };
  if (kind === 'alb') result.statusDescription = `${response.status} ${REASONS[response.status] || ''}`.trim();
  if (kind === 'alb' && event.multiValueHeaders) {
    result.multiValueHeaders = Object.fromEntries(Object.entries(response.headers).map(([k, v]) => [k, [v]]));
  } else {
    result.headers = { ...response.headers };
  }
  return result;
}

module.exports = { kindOf, toRequest, toResult };
