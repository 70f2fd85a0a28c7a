"""Stream consumer: Kinesis event source mapping -> one gzip JSON-lines object per batch in S3.

Valid records (JSON objects with string `type` and `id`) go to
    data/<stream>/<shard>/<first-seq>-<last-seq>.jsonl.gz
with `_sequenceNumber`, `_partitionKey` and `_arrival` added; malformed records go, with their
raw data and the reason, to the same name under errors/. The key depends only on the batch, so
a retried batch overwrites its object instead of duplicating it. The only AWS call is S3
PutObject (seed row 000-R12); encryption is the bucket's default encryption (000-R19).

The mapping uses ReportBatchItemFailures: if a PUT fails, every record of that shard's batch is
reported so Lambda retries it. Malformed records are never reported, so they cannot block the
shard: any failure handling one record (undecodable data, a number JSON cannot hold such as
``1e400``, a record without ``data``, a sequence number or an arrival time) sends that record,
with what could be read of it and the reason, to errors/. Its JSON logging comes from
lambdas/shared, which the packager adds to the zip.
"""

from __future__ import annotations

import binascii
import gzip
import json
import logging
import math
import os

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from shared.aws import cached_client
from shared.logs import REQUEST_ID, json_logger

# Levels 1-3 use zlib's fast strategy. On the API's events, level 3 output is ~10% larger than
# level 6 for half the CPU time. Compression is the biggest cost in the hot path after JSON, and
# a slow consumer lets the shard's iterator age grow (bench/lambdas_bench.py).
GZIP_LEVEL = 3

# Standard mode retries S3's 503 SlowDown with backoff before a PUT counts as failed (and the
# whole batch is handed back to Lambda). total_max_attempts counts every attempt; botocore's
# max_attempts counts retries after the first (3 meant 4 attempts).
_BOTO_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 3})
_clients: dict = {}


def _reject_non_finite(name: str):
    # NaN/Infinity are not JSON (RFC 8259); the stdlib accepts them but downstream readers don't.
    raise ValueError(f"non-finite number {name}")


def _finite_float(text: str) -> float:
    # 1e400 is valid JSON but overflows a double to inf, which would be written back as Infinity.
    value = float(text)
    if math.isinf(value):
        raise ValueError(f"number {text[:40]} is out of a double's range")
    return value


# Built once: json.loads/dumps with keyword arguments would build a new coder per record.
_decode_json = json.JSONDecoder(parse_constant=_reject_non_finite, parse_float=_finite_float).decode
# ASCII output keeps lines valid UTF-8 even for lone surrogates escaped in the input (\ud800);
# allow_nan=False: a line is never NaN/Infinity, whatever slipped through.
_encode_json = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
# For errors/ lines only: whatever a broken record holds is written, as text if need be.
_encode_error = json.JSONEncoder(separators=(",", ":"), default=repr, allow_nan=False).encode
UNKNOWN = "unknown"


LOG, _log = json_logger("webstack.stream_consumer")


def _client(service: str):
    return cached_client(_clients, service, _BOTO_CONFIG)


def handler(event: dict, context) -> dict:
    REQUEST_ID.set(getattr(context, "aws_request_id", None))
    failures = []
    for (source_arn, shard_id), records in _group_by_shard(event.get("Records") or []).items():
        failures.extend(_archive(_stream_name(source_arn), shard_id, records))
    return {"batchItemFailures": failures}


def _group_by_shard(records: list) -> dict:
    # An invocation normally holds one shard's records, in order; grouping is only a safeguard
    # so that an object's key never names the wrong shard or sequence range.
    # A record without them still gets a group (and so an errors/ line), never a KeyError.
    groups: dict = {}
    for record in records:
        entry = record if isinstance(record, dict) else {}
        shard_id = str(entry.get("eventID") or "").partition(":")[0] or UNKNOWN
        groups.setdefault((str(entry.get("eventSourceARN") or ""), shard_id), []).append(record)
    return groups


def _stream_name(arn: str) -> str:
    # arn:aws:kinesis:<region>:<account>:stream/<name>[/consumer/<consumer>:<ts>] (fan-out)
    parts = arn.split(":", 5)[-1].split("/")
    return parts[1] if len(parts) > 1 and parts[1] else UNKNOWN


def _kinesis(record) -> dict:
    kinesis = record.get("kinesis") if isinstance(record, dict) else None
    return kinesis if isinstance(kinesis, dict) else {}


def _sequence(record) -> str | None:
    sequence = _kinesis(record).get("sequenceNumber")
    return sequence if isinstance(sequence, str) and sequence else None


def _archive(stream: str, shard_id: str, records: list) -> list:
    """PUT one shard's batch; return its batch item failures (all records, or none)."""
    valid, malformed = _split_records(records)
    sequences = [s for s in map(_sequence, records) if s is not None] or [UNKNOWN]
    name = f"{stream}/{shard_id}/{sequences[0]}-{sequences[-1]}.jsonl.gz"
    try:
        if valid:
            _put(f"data/{name}", valid)
        # Malformed records are archived rather than reported, so they never block the shard; a
        # failed errors/ PUT is reported like a data PUT so they are not lost either (the retry
        # rewrites the data object under the same key: no duplicates).
        if malformed:
            _put(f"errors/{name}", malformed)
    except (ClientError, BotoCoreError):
        _log(
            logging.ERROR,
            "PUT failed; reporting the whole batch for retry",
            exc_info=True,
            stream=stream,
            shard=shard_id,
            records=len(records),
        )
        # A record without a sequence number cannot be named for retry; it is in no object either
        # way, and the retried batch brings it back to errors/.
        return [{"itemIdentifier": s} for s in map(_sequence, records) if s is not None]
    _log(
        logging.WARNING if malformed else logging.INFO,
        "batch archived",
        stream=stream,
        shard=shard_id,
        key=name,
        valid=len(valid),
        malformed=len(malformed),
    )
    return []


def _split_records(records: list) -> tuple[list[str], list[str]]:
    """Decode and validate records; return (valid lines, malformed lines) as JSON strings.

    This is the hot path: one base64 decode, one JSON decode and one JSON encode per record.
    """
    valid, malformed = [], []
    for record in records:
        kinesis = _kinesis(record)
        try:
            data = kinesis["data"]
            metadata = {
                "_sequenceNumber": kinesis["sequenceNumber"],
                "_partitionKey": kinesis["partitionKey"],
                "_arrival": kinesis["approximateArrivalTimestamp"],
            }
            if not isinstance(data, str):
                raise TypeError(f"kinesis.data is {'null' if data is None else type(data).__name__}")
            doc = _decode_json(binascii.a2b_base64(data).decode("utf-8"))
            if type(doc) is dict and type(doc.get("type")) is str and type(doc.get("id")) is str:
                # Metadata overwrites same-named fields: the line must say where it came from.
                doc.update(metadata)
                valid.append(_encode_json(doc))
                continue
            reason = _shape_problem(doc)
        except KeyError as exc:
            reason = f"not a Kinesis record: kinesis.{exc.args[0]} is missing"
        # binascii.Error, UnicodeDecodeError and JSONDecodeError are ValueErrors; absurdly deep
        # nesting raises RecursionError. Either way the record is bad, not the batch.
        except (ValueError, RecursionError) as exc:
            reason = f"undecodable (base64 -> UTF-8 -> JSON): {exc}"
        except Exception as exc:  # noqa: BLE001 - any per-record failure isolates that record
            reason = f"unprocessable record: {type(exc).__name__}: {exc}"
        malformed.append(_error_line(kinesis, reason))
    return valid, malformed


def _error_line(kinesis: dict, reason: str) -> str:
    fields = {
        "_sequenceNumber": kinesis.get("sequenceNumber"),
        "_partitionKey": kinesis.get("partitionKey"),
        "_arrival": kinesis.get("approximateArrivalTimestamp"),
        "reason": reason,
        "data": kinesis.get("data"),
    }
    try:
        return _encode_error(fields)
    except ValueError:  # a non-finite number in the record itself: keep it as text
        return _encode_error({name: repr(value) for name, value in fields.items()})


def _shape_problem(doc) -> str:
    if not isinstance(doc, dict):
        return f"not a JSON object ({type(doc).__name__})"
    field = "type" if not isinstance(doc.get("type"), str) else "id"
    return f"field '{field}' is missing or not a string"


def _put(key: str, lines: list[str]) -> None:
    body = gzip.compress(
        ("\n".join(lines) + "\n").encode("ascii"),
        compresslevel=GZIP_LEVEL,
        mtime=0,  # no timestamp in the header: a retried batch produces identical bytes
    )
    _client("s3").put_object(
        Bucket=os.environ["RESULTS_BUCKET"],
        Key=key,
        Body=body,
        # The object *is* a gzip file; Content-Encoding: gzip would make HTTP clients unpack it
        # on download while the name still says .gz.
        ContentType="application/gzip",
    )
