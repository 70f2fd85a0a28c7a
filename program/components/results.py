"""What lambdas/stream_consumer writes: objects under data/ and errors/ of a results bucket.

The layout, its lifecycle (001-R14, 003-R12) and the grant to write it, for whichever blueprint
composes that consumer (serverless-app today).
"""

from __future__ import annotations

from typing import Any

import pulumi

from program import iam_docs
from program.components.bucket import LifecycleRule
from program.components.stream_consumer import key_use

DATA_PREFIX, ERRORS_PREFIX = "data/", "errors/"  # what lambdas/stream_consumer writes
STANDARD_IA_MIN_DAYS = 30  # S3 refuses an earlier STANDARD_IA transition


def results_lifecycle(
    data_days: int, errors_days: int, ia_days: int = STANDARD_IA_MIN_DAYS, noncurrent_days: int = 30
) -> tuple[LifecycleRule, ...]:
    """Results age out (001-R14, 003-R12): data moves to STANDARD_IA then expires; errors go sooner."""
    if data_days < 1 or errors_days < 1:
        raise ValueError(f"expiry days must be 1 or more, got data {data_days}, errors {errors_days}")
    if ia_days < STANDARD_IA_MIN_DAYS:
        raise ValueError(f"ia_days {ia_days}: S3 moves objects to STANDARD_IA after 30 days at the earliest")
    # S3 requires the expiration to come after the transition; a shorter life skips IA altogether.
    transitions = ((ia_days, "STANDARD_IA"),) if data_days > ia_days else ()
    return (
        LifecycleRule("data", data_days, noncurrent_days, DATA_PREFIX, transitions),
        LifecycleRule("errors", errors_days, noncurrent_days, ERRORS_PREFIX),
    )


def _under(arn: pulumi.Input[str], tail: str) -> pulumi.Input[str]:
    """``arn + tail``, staying a plain string when ``arn`` is one (so the builders test as data)."""
    return f"{arn}{tail}" if isinstance(arn, str) else pulumi.Output.concat(arn, tail)


def results_writer_statements(
    region: str, bucket_arn: pulumi.Input[str], bucket_key_arn: pulumi.Input[str] | None = None
) -> list[dict[str, Any]]:
    """Put objects under data/ and errors/ only (and, with a CMK, encrypt them through S3)."""
    objects = [_under(bucket_arn, f"/{prefix}*") for prefix in (DATA_PREFIX, ERRORS_PREFIX)]
    statements = [iam_docs.statement(["s3:PutObject"], objects, sid="WriteResults")]
    if bucket_key_arn is not None:
        statements.append(key_use("kms:GenerateDataKey", bucket_key_arn, "s3", region, "EncryptResults"))
    return statements
