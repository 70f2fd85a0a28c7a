'use strict';
/**
 * CloudWatch embedded metric format (EMF): one JSON log line per request. In Lambda the log
 * line becomes metrics with no API call and no extra latency; locally it is just a log line.
 *
 * Namespace METRICS_NAMESPACE (default Webstack/CatalogApi). Dimension sets:
 *   [Service]            every request of the service (dashboard totals)
 *   [Service, Route]     per route template, e.g. "POST /api/products/{sku}/reservations"
 * Metrics: Latency (Milliseconds), Requests, ClientErrors (4xx), ServerErrors (5xx, includes
 * 503), Unavailable (503: a dependency down), Reservations (201 on the reservation route),
 * SoldOut (409 on it). All Count unless stated.
 */

function emfLine(config, { route, status, latencyMs, requestId, source }, now = Date.now()) {
  const reservation = route === 'POST /api/products/{sku}/reservations';
  return JSON.stringify({
    _aws: {
      Timestamp: now,
      CloudWatchMetrics: [
        {
          Namespace: config.metricsNamespace,
          Dimensions: [['Service'], ['Service', 'Route']],
          Metrics: [
            { Name: 'Latency', Unit: 'Milliseconds' },
            { Name: 'Requests', Unit: 'Count' },
            { Name: 'ClientErrors', Unit: 'Count' },
            { Name: 'ServerErrors', Unit: 'Count' },
            { Name: 'Unavailable', Unit: 'Count' },
            { Name: 'Reservations', Unit: 'Count' },
            { Name: 'SoldOut', Unit: 'Count' },
          ],
        },
      ],
    },
    Service: config.serviceName,
    Route: route,
    Latency: Math.round(latencyMs * 1000) / 1000,
    Requests: 1,
    ClientErrors: status >= 400 && status < 500 ? 1 : 0,
    ServerErrors: status >= 500 ? 1 : 0,
    Unavailable: status === 503 ? 1 : 0,
    Reservations: reservation && status === 201 ? 1 : 0,
    SoldOut: reservation && status === 409 ? 1 : 0,
    // Properties, not metrics: searchable in Logs Insights, no extra metric cost.
    statusCode: status,
    requestId,
    source,
  });
}

function createMetrics(config, write = (line) => process.stdout.write(`${line}\n`)) {
  return {
    record(fields) {
      if (config.metrics) write(emfLine(config, fields));
    },
  };
}

module.exports = { emfLine, createMetrics };
