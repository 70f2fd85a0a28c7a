"""Alarm and dashboard-metric builders, as plain data (000-R18, 001-R20, 002-R39)."""

from __future__ import annotations

from program.alarms import (
    AlarmSpec,
    MetricRef,
    api_alarms,
    api_metrics,
    lambda_alarms,
    lambda_metrics,
    queue_depth_alarm,
    stream_alarms,
    stream_metrics,
)


def by_metric(specs: list[AlarmSpec]) -> dict[str, AlarmSpec]:
    return {spec.metric_name: spec for spec in specs}


def test_000_R18_002_R39_lambda_alarms_page_on_any_error_or_throttle() -> None:
    specs = by_metric(lambda_alarms("backend", "backend-dev"))
    assert set(specs) == {"Errors", "Throttles"}
    for spec in specs.values():
        assert spec.namespace == "AWS/Lambda"
        assert spec.dimensions == {"FunctionName": "backend-dev"}
        assert (spec.statistic, spec.extended_statistic) == ("Sum", None)
        assert spec.threshold == 1 and spec.comparison == "GreaterThanOrEqualToThreshold"
    assert specs["Errors"].purpose == "backend-errors"
    assert specs["Throttles"].purpose == "backend-throttles"


def test_000_R18_api_alarms_watch_5xx_and_p99_latency() -> None:
    specs = by_metric(api_alarms("api", "api-dev", "prod"))
    assert set(specs) == {"5XXError", "Latency"}
    for spec in specs.values():
        assert spec.namespace == "AWS/ApiGateway"
        assert spec.dimensions == {"ApiName": "api-dev", "Stage": "prod"}
    errors, latency = specs["5XXError"], specs["Latency"]
    assert (errors.statistic, errors.threshold, errors.comparison) == (
        "Sum",
        1,
        "GreaterThanOrEqualToThreshold",
    )
    # A percentile is an extended statistic; CloudWatch rejects an alarm that sets both.
    assert (latency.statistic, latency.extended_statistic) == (None, "p99")
    assert latency.threshold == 2000 and latency.comparison == "GreaterThanThreshold"


def test_000_R18_stream_alarms_watch_iterator_age_and_both_throughput_limits() -> None:
    specs = by_metric(stream_alarms("ingest", "ingest-dev"))
    assert set(specs) == {
        "GetRecords.IteratorAgeMilliseconds",
        "WriteProvisionedThroughputExceeded",
        "ReadProvisionedThroughputExceeded",
    }
    for spec in specs.values():
        assert spec.namespace == "AWS/Kinesis" and spec.dimensions == {"StreamName": "ingest-dev"}
        assert spec.comparison == "GreaterThanOrEqualToThreshold"
    age = specs["GetRecords.IteratorAgeMilliseconds"]
    assert (age.statistic, age.threshold) == ("Maximum", 300_000)  # five minutes behind
    for name in ("WriteProvisionedThroughputExceeded", "ReadProvisionedThroughputExceeded"):
        assert (specs[name].statistic, specs[name].threshold) == ("Sum", 1)


def test_queue_depth_alarm_pages_on_the_first_failed_record() -> None:
    spec = queue_depth_alarm("consumer-dlq", "consumer-dlq-dev")
    assert (spec.namespace, spec.metric_name) == ("AWS/SQS", "ApproximateNumberOfMessagesVisible")
    assert spec.dimensions == {"QueueName": "consumer-dlq-dev"}
    assert (spec.statistic, spec.threshold, spec.comparison) == (
        "Maximum",
        1,
        "GreaterThanOrEqualToThreshold",
    )
    assert (spec.evaluation_periods, spec.datapoints_to_alarm) == (1, 1)


def test_idle_systems_do_not_page_and_datapoints_fit_the_window() -> None:
    specs = [
        *lambda_alarms("backend", "f"),
        *api_alarms("api", "a", "s"),
        *stream_alarms("ingest", "k"),
        queue_depth_alarm("dlq", "q"),
    ]
    for spec in specs:
        assert spec.treat_missing_data == "notBreaching", spec.purpose
        assert 1 <= spec.datapoints_to_alarm <= spec.evaluation_periods, spec.purpose
        assert spec.period_s == 60, spec.purpose
    assert len({spec.purpose for spec in specs}) == len(specs)


def test_001_R20_metrics_cover_invocations_api_errors_and_kinesis_throughput() -> None:
    metrics: list[MetricRef] = [
        *lambda_metrics("backend", "backend-dev"),
        *api_metrics("api", "api-dev", "prod"),
        *stream_metrics("ingest", "ingest-dev"),
    ]
    names = {(m.namespace, m.metric_name) for m in metrics}
    assert ("AWS/Lambda", "Invocations") in names
    assert {("AWS/ApiGateway", "4XXError"), ("AWS/ApiGateway", "5XXError")} <= names
    assert {("AWS/Kinesis", "IncomingRecords"), ("AWS/Kinesis", "IncomingBytes")} <= names
    stats = {(m.namespace, m.metric_name): m.stat for m in metrics}
    assert stats[("AWS/Lambda", "Duration")] == "p99"
    assert stats[("AWS/ApiGateway", "Latency")] == "p99"
    assert stats[("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds")] == "Maximum"
    assert stats[("AWS/Lambda", "Invocations")] == "Sum"
    assert len({m.title for m in metrics}) == len(metrics)
