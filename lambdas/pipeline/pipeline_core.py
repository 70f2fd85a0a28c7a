"""What the five pipeline stages share: the event schema, exact JSON numbers, SQS fan-out, DLQ, logs.

Deployed at the root of every stage's zip next to that stage's handler.py (see README.md), so a
stage imports it as `pipeline_core`; its log formatter is lambdas/shared/logs.py (`shared/` in
the zip). Nothing here talks to AWS at import time.

The numbers: JSON is parsed with `Decimal` for every number, never float, and written back with
the exact decimal text, so `0.1` stays `0.1` from the Kinesis record to the DynamoDB sum and the
archived object. `value` is limited to magnitude < 10^15 and at most 6 fraction digits: then any
sum of up to 10^17 values has at most 38 significant digits, DynamoDB's exact number precision,
so `ADD` never rounds.
"""

from __future__ import annotations

import base64
import binascii
import decimal
import hashlib
import json
import logging
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

try:
    from shared.logs import REQUEST_ID, JsonFormatter  # the zip root holds shared/ in Lambda
except ImportError:  # from the repository: lambdas/ holds shared/
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from shared.logs import REQUEST_ID, JsonFormatter

AWS_ERRORS = (ClientError, BotoCoreError)

# --- the event schema ------------------------------------------------------------------------

# Limit on one record's decoded bytes (env MAX_EVENT_BYTES). 64 KiB keeps ten enriched events
# inside one SendMessageBatch (256 KiB) with room for the envelope and an item far under 400 KB.
DEFAULT_MAX_EVENT_BYTES = 64 * 1024
FIELDS = ("eventId", "source", "type", "timestamp", "value")
OPTIONAL_FIELDS = ("attributes",)
# source and type become parts of the DynamoDB key (joined by '#') and of S3 keys: a plain
# charset keeps both unambiguous and URL-safe.
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")
MAX_EVENT_ID = 256
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
VALUE_MAX_ADJUSTED = 14  # |value| < 10^15
VALUE_MAX_FRACTION = 6


class PoisonError(ValueError):
    """A record that can never be processed: it goes to the stage's DLQ with this reason."""


def _reject_constant(name: str):
    # NaN / Infinity / -Infinity are not JSON (RFC 8259) and cannot be summed.
    raise PoisonError(f"non-finite number {name}")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict:
    doc = dict(pairs)
    if len(doc) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise PoisonError(f"duplicate JSON key {key!r}")
            seen.add(key)
    return doc


# Built once: json.loads with keyword arguments would build a decoder per call.
# Integers stay int (exact already; the C encoder writes them); a 4,300+ digit integer fails
# Python's conversion limit and is poison ("not JSON").
_decoder = json.JSONDecoder(
    parse_float=Decimal,
    parse_constant=_reject_constant,
    object_pairs_hook=_no_duplicate_keys,
)


def loads(text: str) -> Any:
    """JSON -> Python with every number a Decimal; PoisonError on anything that is not strict JSON."""
    try:
        return _decoder.decode(text)
    except PoisonError:
        raise
    except (ValueError, RecursionError) as exc:
        raise PoisonError(f"not JSON: {exc}") from None


_encode_str = json.encoder.encode_basestring_ascii


class _HasDecimalError(Exception):
    pass


def _no_decimal(obj: Any) -> Any:
    raise _HasDecimalError


# The C encoder, for documents without Decimals (most messages: `value` travels as text).
_fast_dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=_no_decimal).encode


def dumps(obj: Any) -> str:
    """Compact JSON, keys sorted (deterministic bytes), Decimals written as their exact text."""
    try:
        return _fast_dumps(obj)
    except _HasDecimalError:
        parts: list[str] = []
        _dump(obj, parts.append)
        return "".join(parts)


def _dump(obj: Any, out: Callable[[str], Any]) -> None:
    if isinstance(obj, str):
        out(_encode_str(obj))
    elif obj is None:
        out("null")
    elif obj is True:
        out("true")
    elif obj is False:
        out("false")
    elif isinstance(obj, Decimal):
        out(decimal_text(obj))
    elif isinstance(obj, int):
        out(str(obj))
    elif isinstance(obj, dict):
        out("{")
        for n, key in enumerate(sorted(obj)):
            if n:
                out(",")
            out(_encode_str(key))
            out(":")
            _dump(obj[key], out)
        out("}")
    elif isinstance(obj, list | tuple):
        out("[")
        for n, entry in enumerate(obj):
            if n:
                out(",")
            _dump(entry, out)
        out("]")
    else:
        raise TypeError(f"not JSON-serialisable: {type(obj).__name__}")


# Wide enough for every number that reaches it (<= 40 digits, exponents checked first), so
# normalize() never rounds.
_EXACT = decimal.Context(prec=50)


def decimal_text(value: Decimal) -> str:
    """Canonical, exact text of a finite Decimal: no exponent, no trailing fraction zeros."""
    if not value.is_finite():
        raise ValueError(f"non-finite number {value}")
    if value.is_zero():
        return "0"
    return format(value.normalize(_EXACT), "f")


def check_value(value: Any) -> Decimal:
    """The `value` field: a JSON number within the exact-sum limits, as a Decimal."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = Decimal(value)
    if not isinstance(value, Decimal):
        raise PoisonError(f"field 'value' must be a number, got {_json_type(value)}")
    if len(value.as_tuple().digits) > 40:
        raise PoisonError("field 'value' has more than 40 digits")
    if value.is_zero():
        return Decimal(0)
    # adjusted() is exact on the raw digits, so huge exponents are refused before any arithmetic.
    magnitude = value.adjusted()
    if magnitude > VALUE_MAX_ADJUSTED:
        raise PoisonError("field 'value' out of range: magnitude must be below 1e15")
    if magnitude < -VALUE_MAX_FRACTION:
        raise PoisonError(f"field 'value' has more than {VALUE_MAX_FRACTION} fraction digits")
    exact = value.normalize(_EXACT)
    exponent = exact.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > VALUE_MAX_FRACTION:
        raise PoisonError(f"field 'value' has more than {VALUE_MAX_FRACTION} fraction digits")
    return exact


def parse_timestamp(text: Any) -> datetime:
    """ISO-8601 date *and* time with a zero UTC offset ('Z' or '+00:00')."""
    if not isinstance(text, str):
        raise PoisonError(f"field 'timestamp' must be a string, got {_json_type(text)}")
    if "T" not in text[:11] or len(text) > 40:
        raise PoisonError("field 'timestamp' must be ISO-8601 date-time in UTC, e.g. 2026-01-01T12:00:00Z")
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise PoisonError(
            "field 'timestamp' must be ISO-8601 date-time in UTC, e.g. 2026-01-01T12:00:00Z"
        ) from None
    offset = moment.utcoffset()
    if offset is None:
        raise PoisonError("field 'timestamp' has no UTC offset (add 'Z')")
    if offset.total_seconds() != 0:
        raise PoisonError("field 'timestamp' must be UTC (offset 'Z' or '+00:00')")
    return moment.astimezone(UTC)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | Decimal):
        return "number"
    return {str: "string", dict: "object", list: "array"}.get(type(value), type(value).__name__)


def _check_name(doc: dict, field: str, pattern: re.Pattern[str] | None, limit: int) -> str:
    value = doc[field]
    if not isinstance(value, str):
        raise PoisonError(f"field {field!r} must be a string, got {_json_type(value)}")
    if pattern is not None:
        if not pattern.fullmatch(value):
            raise PoisonError(f"field {field!r} must match {pattern.pattern}")
    elif not 0 < len(value) <= limit or _CONTROL.search(value):
        raise PoisonError(f"field {field!r} must be 1-{limit} characters without control characters")
    return value


def check_event(doc: Any) -> dict:
    """The producer schema; returns the event with `value` as canonical decimal text."""
    if not isinstance(doc, dict):
        raise PoisonError(f"event must be a JSON object, got {_json_type(doc)}")
    missing = [f for f in FIELDS if f not in doc]
    if missing:
        raise PoisonError(
            f"missing field(s) {', '.join(repr(f) for f in missing)} (required: {', '.join(FIELDS)})"
        )
    unknown = sorted(set(doc) - set(FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        allowed = ", ".join(FIELDS + OPTIONAL_FIELDS)
        raise PoisonError(f"unknown field(s) {', '.join(repr(f) for f in unknown)} (allowed: {allowed})")
    event = {
        "eventId": _check_name(doc, "eventId", None, MAX_EVENT_ID),
        "source": _check_name(doc, "source", NAME_RE, 128),
        "type": _check_name(doc, "type", NAME_RE, 128),
        "timestamp": doc["timestamp"],
        "value": decimal_text(check_value(doc["value"])),
    }
    parse_timestamp(doc["timestamp"])
    if "attributes" in doc:
        if not isinstance(doc["attributes"], dict):
            raise PoisonError(f"field 'attributes' must be an object, got {_json_type(doc['attributes'])}")
        event["attributes"] = doc["attributes"]
    return event


def decode_record(data: Any, max_bytes: int) -> dict:
    """Kinesis `data` (base64) -> checked event. PoisonError names the first problem found."""
    if not isinstance(data, str):
        raise PoisonError("record data is not a base64 string")
    # Checked before decoding, so a huge record costs nothing: 4 base64 chars carry 3 bytes.
    if len(data) > (max_bytes + 2) // 3 * 4 + 4:
        raise PoisonError(f"oversize: record larger than {max_bytes} bytes")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise PoisonError("bad base64") from None
    if len(raw) > max_bytes:
        raise PoisonError(f"oversize: {len(raw)} bytes > {max_bytes}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PoisonError(f"not UTF-8: invalid byte at offset {exc.start}") from None
    return check_event(loads(text))


def check_forwarded(doc: Any) -> dict:
    """An event as a stage forwards it (`value` as decimal text): checked again like the producer's."""
    if isinstance(doc, dict) and isinstance(doc.get("value"), str):
        try:
            doc = {**doc, "value": Decimal(doc["value"])}
        except decimal.InvalidOperation:
            raise PoisonError("field 'value' is not decimal text") from None
    return check_event(doc)


def enrich(event: dict) -> dict:
    """The derived fields: normalised UTC timestamp, its minute, and the content digest."""
    moment = parse_timestamp(event["timestamp"])
    enriched = {**event, "timestamp": iso_utc(moment)}
    enriched["digest"] = digest(enriched)
    enriched["minute"] = minute_of(moment)
    return enriched


ENRICHED_FIELDS = ("eventId", "source", "type", "timestamp", "value", "minute", "digest")


def check_enriched(doc: dict) -> dict:
    """An enrich-stage message: the event checked again, and minute/digest recomputed and compared."""
    event = check_forwarded({k: doc[k] for k in FIELDS + OPTIONAL_FIELDS if k in doc})
    enriched = enrich(event)
    for field in ("minute", "digest"):
        if doc.get(field) != enriched[field]:
            raise PoisonError(f"field {field!r} does not match the event (expected {enriched[field]!r})")
    return enriched


def aggregate_key(source: str, type_: str, minute: str) -> dict:
    """The DynamoDB key of a (source, type, minute) aggregate, in the low-level typed form."""
    return {"pk": {"S": f"AGG#{source}#{type_}"}, "sk": {"S": minute}}


def parse_message(body: Any, required: Sequence[str]) -> dict:
    """An inter-stage SQS message body: JSON object with the given fields."""
    if not isinstance(body, str):
        raise PoisonError("message body is not a string")
    doc = loads(body)
    if not isinstance(doc, dict):
        raise PoisonError(f"message must be a JSON object, got {_json_type(doc)}")
    missing = [f for f in required if f not in doc]
    if missing:
        raise PoisonError(f"message is missing field(s) {', '.join(repr(f) for f in missing)}")
    return doc


def minute_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M")


def iso_utc(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def digest(event: dict) -> str:
    """SHA-256 of the event's canonical JSON: identifies *content* (the eventId identifies the event)."""
    return hashlib.sha256(dumps(event).encode("ascii")).hexdigest()


# --- configuration ---------------------------------------------------------------------------


class ConfigError(RuntimeError):
    """A missing or invalid environment variable: one line naming it and what is allowed."""


def env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ConfigError(f"environment variable {name} is required")
    return value


def env_int(name: str, default: int, minimum: int = 0) -> int:
    raw = os.environ.get(name, "")
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"environment variable {name}={raw!r}: must be an integer >= {minimum}") from None
    if value < minimum:
        raise ConfigError(f"environment variable {name}={raw!r}: must be an integer >= {minimum}")
    return value


def env_decimal(name: str) -> Decimal | None:
    raw = os.environ.get(name, "")
    if not raw:
        return None
    try:
        value = Decimal(raw)
    except decimal.InvalidOperation:
        raise ConfigError(f"environment variable {name}={raw!r}: must be a decimal number") from None
    if not value.is_finite() or abs(value.adjusted()) > 38:
        raise ConfigError(
            f"environment variable {name}={raw!r}: must be a finite decimal number (|exponent| <= 38)"
        )
    return value


# --- AWS clients -----------------------------------------------------------------------------

# Standard mode retries throttling and 5xx with backoff and jitter before a call counts as failed
# (seed row 003-R16 in Lambda code); the record is then reported for redelivery.
_BOTO_CONFIG = Config(retries={"mode": "standard", "max_attempts": 3})
_clients: dict[str, Any] = {}


def client(service: str) -> Any:
    """Created on first use and reused across warm invocations (lazy: tests start moto first).

    AWS_ENDPOINT_URL (read by boto3 itself) points them at moto in the local tool.
    """
    found = _clients.get(service)
    if found is None:
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        found = _clients[service] = boto3.client(service, region_name=region, config=_BOTO_CONFIG)
    return found


# --- logging ---------------------------------------------------------------------------------

# The formatter and the request id every webstack Lambda shares (lambdas/shared/logs.py, shipped
# in each zip as `shared/`); the name `request_id` is what the stage handlers set.
request_id = REQUEST_ID


LOG = logging.getLogger("webstack.pipeline")
LOG.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
if not LOG.handlers:
    _handler = logging.StreamHandler(sys.stdout)
    _handler.setFormatter(JsonFormatter())
    LOG.addHandler(_handler)
# The Lambda runtime's root handler prefixes plain text, which would break the JSON lines.
LOG.propagate = False


def log(level: int, message: str, exc_info: bool = False, **fields: Any) -> None:
    LOG.log(level, message, exc_info=exc_info, extra={"fields": fields})


@dataclass
class Summary:
    """Per-invocation counts, logged as one `batch summary` line (metric filters read it)."""

    stage: str
    records_in: int = 0
    out: int = 0
    duplicates: int = 0
    poison: int = 0
    failed: int = 0

    def dead_letter(self, reason: str, payload: str, origin: dict) -> bool:
        """Count one poison input and send it to this stage's DLQ; False if that send failed."""
        self.poison += 1
        return to_dlq(self.stage, reason, payload, origin)

    def emit(self) -> None:
        log(
            logging.WARNING if self.poison or self.failed else logging.INFO,
            "batch summary",
            stage=self.stage,
            recordsIn=self.records_in,
            out=self.out,
            duplicates=self.duplicates,
            poison=self.poison,
            failed=self.failed,
        )


# --- SQS -------------------------------------------------------------------------------------

SQS_BATCH_ENTRIES = 10
SQS_BATCH_BYTES = 256 * 1024


def send_batch(queue_url: str, bodies: Sequence[tuple[str, str]]) -> set[str]:
    """SendMessageBatch (chunks of <= 10 entries and <= 256 KiB); returns the keys that failed.

    `bodies` are (key, body) pairs; the key is only local bookkeeping.
    """
    failed: set[str] = set()
    for chunk in _chunks(bodies):
        entries = [{"Id": str(n), "MessageBody": body} for n, (_, body) in enumerate(chunk)]
        try:
            response = client("sqs").send_message_batch(QueueUrl=queue_url, Entries=entries)
        except AWS_ERRORS:
            log(logging.ERROR, "SendMessageBatch failed", exc_info=True, queue=queue_url, entries=len(chunk))
            failed.update(key for key, _ in chunk)
            continue
        for entry in response.get("Failed") or []:
            failed.add(chunk[int(entry["Id"])][0])
            log(logging.ERROR, "SendMessageBatch entry failed", queue=queue_url, code=entry.get("Code"))
    return failed


def _chunks(bodies: Sequence[tuple[str, str]]) -> Iterable[list[tuple[str, str]]]:
    chunk: list[tuple[str, str]] = []
    size = 0
    for key, body in bodies:
        length = len(body.encode("utf-8"))
        if chunk and (len(chunk) == SQS_BATCH_ENTRIES or size + length > SQS_BATCH_BYTES):
            yield chunk
            chunk, size = [], 0
        chunk.append((key, body))
        size += length
    if chunk:
        yield chunk


def to_dlq(stage: str, reason: str, payload: str, origin: dict) -> bool:
    """Send one poison input with its reason to the stage's DLQ (env DLQ_URL); False if that failed.

    The body keeps the original payload verbatim so the record can be fixed and replayed.
    """
    body = json.dumps({"stage": stage, "reason": reason, "payload": payload, "origin": origin})
    if len(body.encode("utf-8")) > SQS_BATCH_BYTES:
        # An oversize record cannot travel whole; its origin (shard + sequence number) finds it.
        body = json.dumps(
            {"stage": stage, "reason": reason, "payload": payload[:1024], "truncated": True, "origin": origin}
        )
    try:
        client("sqs").send_message(
            QueueUrl=env("DLQ_URL"),
            MessageBody=body,
            MessageAttributes={
                "stage": {"DataType": "String", "StringValue": stage},
                "reason": {"DataType": "String", "StringValue": reason[:1024]},
            },
        )
    except AWS_ERRORS:
        log(logging.ERROR, "DLQ send failed; reporting the record for redelivery", exc_info=True, stage=stage)
        return False
    log(logging.WARNING, "poison record sent to DLQ", stage=stage, reason=reason, origin=origin)
    return True


def sqs_failures(message_ids: Iterable[str]) -> dict:
    return {"batchItemFailures": [{"itemIdentifier": mid} for mid in message_ids]}


def sqs_stage(
    stage: str,
    event: dict,
    context: Any,
    process: Callable[[list[tuple[str, dict, dict]], Summary], set[str]],
    required: Sequence[str],
) -> dict:
    """The frame of the four SQS stages: parse bodies, DLQ the poison, run `process` on the rest.

    `process` gets (messageId, body doc, origin) triples and returns the messageIds to retry.
    """
    request_id.set(getattr(context, "aws_request_id", None))
    summary = Summary(stage)
    records = event.get("Records") or []
    summary.records_in = len(records)
    failed: list[str] = []
    good: list[tuple[str, dict, dict]] = []
    for record in records:
        origin = {"messageId": record["messageId"]}
        try:
            good.append((record["messageId"], parse_message(record.get("body"), required), origin))
        except PoisonError as exc:
            if not summary.dead_letter(str(exc), str(record.get("body")), origin):
                failed.append(record["messageId"])
    retry = process(good, summary)
    failed.extend(mid for mid, _, _ in good if mid in retry)
    summary.failed = len(failed)
    summary.emit()
    return sqs_failures(failed)
