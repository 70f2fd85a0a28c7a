"""Items API: API Gateway REST API (Lambda proxy integration, payload 1.0) -> this function.

Routes: POST /items, GET /items/{id}, PATCH /items/{id}. The DynamoDB table (hash key `id`) is
the source of truth; every successful write also publishes one event to the Kinesis stream.
The function calls only DynamoDB PutItem/GetItem/UpdateItem and Kinesis PutRecord, so its IAM
policy can grant exactly those (seed rows 000-R7, 001-R10).

Bad client input always gets a 4xx with a JSON body {"error": "..."}; 5xx is reserved for AWS
failures (503) and bugs (500). The file is self-contained because the folder is zipped on its
own and deployed with handler `handler.handler`.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re
import time
import uuid
from datetime import UTC, datetime
from decimal import Decimal, DecimalException

from boto3.dynamodb.types import DYNAMODB_CONTEXT, TypeDeserializer, TypeSerializer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError
from shared.aws import cached_client
from shared.logs import REQUEST_ID, json_logger

MAX_BODY_BYTES = 64 * 1024
MAX_STRING_BYTES = 4 * 1024
MAX_DEPTH = 5  # lists/objects nested inside one attribute value
# Every PATCH field becomes a placeholder pair in the UpdateExpression, which DynamoDB caps at
# 4 KB; 100 fields stays well under it, so a big body is a 400 here rather than a 5xx there.
MAX_FIELDS = 100
MAX_UPDATE_ATTEMPTS = 3
MAX_VERSION = 10**15
# DynamoDB numbers: up to 38 significant digits, zero or a magnitude in [1E-130, 9.99..E+125].
MIN_NUMBER = Decimal("1E-130")
MAX_NUMBER = Decimal("9.9999999999999999999999999999999999999E+125")
SERVER_FIELDS = ("id", "version", "createdAt", "updatedAt")
NAME_RE = re.compile(r"[A-Za-z0-9_]{1,64}")
PATH_PARAMETER_RE = re.compile(r"\{([^{}+]+)\+?\}")  # {id} or greedy {proxy+}
UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# If-Match carries the ETag we hand out: the version, quoted ("3"); a bare 3 is accepted too.
IF_MATCH_RE = re.compile(r'"([1-9][0-9]{0,14})"|([1-9][0-9]{0,14})')
JSON_TYPE_NAMES = {
    list: "an array",
    str: "a string",
    Decimal: "a number",
    bool: "a boolean",
    type(None): "null",
}

# Standard mode retries throttling, 5xx and connection errors with jittered backoff. Attempts are
# counted with total_max_attempts: botocore's `max_attempts` counts retries after the first try
# (3 meant 4 attempts). Each attempt is bounded by the socket timeouts (botocore's default is 60 s
# each, over twice API Gateway's 29 s integration timeout); DynamoDB single-item calls and Kinesis
# PutRecord answer in milliseconds through the VPC endpoints, so 1 s to connect and 2 s to read
# leave room for throttling. A request may make several calls (GetItem, UpdateItem retries,
# PutRecord), so the handler also keeps a deadline: no attempt starts unless it can finish before
# the function's remaining time or the integration timeout, whichever ends first (then 503 JSON,
# never API Gateway's own 504 or a Lambda timeout's 502).
TOTAL_ATTEMPTS = 3
CONNECT_TIMEOUT_S, READ_TIMEOUT_S = 1, 2
INTEGRATION_TIMEOUT_S = 29  # API Gateway REST, integration_timeout_ms default and maximum
DEADLINE_MARGIN_S = 0.5  # to log, serialize and return after the last AWS call
_BOTO_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": TOTAL_ATTEMPTS},
    connect_timeout=CONNECT_TIMEOUT_S,
    read_timeout=READ_TIMEOUT_S,
)
_clients: dict = {}
_deadline = [float("inf")]  # time.monotonic() by which every AWS attempt of this request ends
_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


LOG, _log = json_logger("webstack.api")


class DeadlineExceededError(BotoCoreError):
    """No time left for another AWS attempt within this request's budget (answered as 503)."""

    fmt = "no time left for another AWS attempt before the integration timeout"


def _client(service: str):
    fresh = service not in _clients
    client = cached_client(_clients, service, _BOTO_CONFIG)
    if fresh:
        client.meta.events.register("before-send", _check_deadline)
    return client


def _check_deadline(**_kwargs) -> None:
    # Before every attempt, retries included: one attempt takes at most connect + read timeout.
    if time.monotonic() + CONNECT_TIMEOUT_S + READ_TIMEOUT_S > _deadline[0]:
        raise DeadlineExceededError()


def _start_deadline(context) -> None:
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    budget = min(INTEGRATION_TIMEOUT_S, remaining() / 1000 if remaining else INTEGRATION_TIMEOUT_S)
    _deadline[0] = time.monotonic() + budget - DEADLINE_MARGIN_S


class ApiError(Exception):
    """A client-facing error, rendered as {"error": message} with the given status."""

    def __init__(self, status: int, message: str, headers: dict | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def handler(event: dict, context) -> dict:
    REQUEST_ID.set(getattr(context, "aws_request_id", None))
    _start_deadline(context)
    error = None
    try:
        response = _route(event)
    except ApiError as err:
        error = err.message
        response = _response(err.status, {"error": err.message}, err.headers)
    except (ClientError, BotoCoreError):
        # Throttling or an AWS outage that survived the SDK retries: the client may retry.
        _log(logging.ERROR, "AWS call failed", exc_info=True)
        error = "AWS call failed"
        response = _response(503, {"error": "a backing AWS service failed; retry with backoff"})
    except Exception:  # noqa: BLE001 - the boundary: log it, answer JSON, keep the container
        # A bug: still answer JSON instead of API Gateway's bare 502.
        _log(logging.ERROR, "unhandled error", exc_info=True)
        error = "unhandled error"
        response = _response(500, {"error": "internal error"})
    _log(
        logging.INFO,
        "request",
        method=event.get("httpMethod"),
        path=event.get("path"),
        status=response["statusCode"],
        error=error,
    )
    return response


def _route(event: dict) -> dict:
    method = str(event.get("httpMethod") or "").upper()
    # Route on `resource` with its path parameters filled in, not on `path`: behind a custom
    # domain, `path` starts with the base-path mapping. This serves explicit /items and
    # /items/{id} resources as well as a greedy /{proxy+} resource.
    parameters = event.get("pathParameters") or {}
    api_path = PATH_PARAMETER_RE.sub(
        lambda match: str(parameters.get(match.group(1)) or ""), str(event.get("resource") or "")
    )
    segments = [s for s in api_path.split("/") if s]
    if segments == ["items"]:
        actions, item_id = {"POST": _create}, None
    elif len(segments) == 2 and segments[0] == "items":
        actions, item_id = {"GET": _get, "PATCH": _patch}, segments[1]
    else:
        raise ApiError(404, "no such route; routes are POST /items, GET and PATCH /items/{id}")
    action = actions.get(method)
    if action is None:
        allowed = ", ".join(actions)
        raise ApiError(405, f"method not allowed on this path; allowed: {allowed}", {"Allow": allowed})
    if item_id is not None:
        if not UUID_RE.fullmatch(item_id):
            raise ApiError(400, "path id must be a UUID, e.g. 123e4567-e89b-42d3-a456-426614174000")
        item_id = item_id.lower()  # ids are stored in uuid4's canonical lower case
    return action(event, item_id)


def _create(event: dict, _item_id: None) -> dict:
    fields = _validated_fields(_parse_body(event))
    now = _now()
    item = {**fields, "id": str(uuid.uuid4()), "version": 1, "createdAt": now, "updatedAt": now}
    _client("dynamodb").put_item(
        TableName=os.environ["TABLE_NAME"],
        Item={name: _SERIALIZER.serialize(value) for name, value in item.items()},
        # A uuid4 collision is practically impossible, but never overwrite an item silently.
        ConditionExpression="attribute_not_exists(id)",
    )
    _publish("item.created", item, now)
    return _item_response(201, item, {"Location": f"/items/{item['id']}"})


def _get(event: dict, item_id: str) -> dict:
    item = _load(item_id)
    if item is None:
        raise _not_found(item_id)
    return _item_response(200, item)


def _patch(event: dict, item_id: str) -> dict:
    body = _parse_body(event)
    expected = _expected_version(event, body)
    fields = _validated_fields(body)
    if not fields:
        raise ApiError(400, "body must set at least one field besides 'version'")
    client_precondition = expected is not None
    if not client_precondition:
        # No If-Match: still compare-and-set against the version read here, so a concurrent
        # writer is detected (and retried) instead of silently interleaved.
        current = _load(item_id)
        if current is None:
            raise _not_found(item_id)
        expected = int(current["version"])
    for _attempt in range(MAX_UPDATE_ATTEMPTS):
        now = _now()
        try:
            item = _update(item_id, fields, expected, now)
        except ClientError as err:
            code, message = err.response["Error"]["Code"], err.response["Error"].get("Message", "")
            if code == "ValidationException" and "maximum allowed size" in message:
                raise ApiError(
                    413, "the update would exceed DynamoDB's 400 KB item size limit; store less"
                ) from None
            if code != "ConditionalCheckFailedException":
                raise
            current = err.response.get("Item")
            if current is None:
                raise _not_found(item_id) from None
            actual = int(current["version"]["N"])
            if client_precondition:
                raise ApiError(
                    409,
                    f"version conflict: the change is based on version {expected} but the item "
                    f"is at version {actual}; re-read it and retry",
                ) from None
            expected = actual
        else:
            _publish("item.updated", item, now)
            return _item_response(200, item)
    raise ApiError(409, f"item changed concurrently {MAX_UPDATE_ATTEMPTS} times in a row; re-read and retry")


def _load(item_id: str) -> dict | None:
    response = _client("dynamodb").get_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"id": {"S": item_id}},
        # Strongly consistent: read-your-writes right after POST, and no stale version for PATCH.
        ConsistentRead=True,
    )
    return _deserialize(response["Item"]) if "Item" in response else None


def _update(item_id: str, fields: dict, expected: int, now: str) -> dict:
    names = {"#version": "version", "#updatedAt": "updatedAt"}
    values = {
        ":expected": {"N": str(expected)},
        ":next": {"N": str(expected + 1)},
        ":now": {"S": now},
    }
    assignments = ["#version = :next", "#updatedAt = :now"]
    for i, (name, value) in enumerate(fields.items()):
        # Placeholders for every name: client field names may be reserved words (e.g. "name").
        names[f"#f{i}"] = name
        values[f":f{i}"] = _SERIALIZER.serialize(value)
        assignments.append(f"#f{i} = :f{i}")
    response = _client("dynamodb").update_item(
        TableName=os.environ["TABLE_NAME"],
        Key={"id": {"S": item_id}},
        UpdateExpression="SET " + ", ".join(assignments),
        # Compare-and-set on version. It also fails when the item does not exist (a missing
        # attribute never equals anything), so UpdateItem never creates an item.
        ConditionExpression="#version = :expected",
        ExpressionAttributeNames=names,
        ExpressionAttributeValues=values,
        ReturnValues="ALL_NEW",
        # On a failed check DynamoDB returns the current item: that tells 404 from 409 and gives
        # the retry its version without another GetItem.
        ReturnValuesOnConditionCheckFailure="ALL_OLD",
    )
    return _deserialize(response["Attributes"])


def _publish(event_type: str, item: dict, at: str) -> None:
    record = {
        "type": event_type,
        "id": item["id"],
        "version": item["version"],
        "item": item,
        "at": at,
    }
    try:
        _client("kinesis").put_record(
            StreamName=os.environ["STREAM_NAME"],
            # The item id as partition key keeps each item's events on one shard, in order.
            PartitionKey=item["id"],
            # UTF-8 rather than \u escapes: a 400 KB item must fit Kinesis' 1 MiB record limit.
            Data=_dumps(record, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
        )
    except (ClientError, BotoCoreError) as exc:
        # The DynamoDB write already succeeded and is the source of truth. Failing now would make
        # the client retry a write that happened (a duplicate item for POST, a 409 for PATCH), so
        # report success and log an ERROR that a metric filter alarms on (event=publish_failed).
        _log(
            logging.ERROR,
            "event publish failed after the write succeeded",
            event="publish_failed",
            type=event_type,
            id=item["id"],
            version=int(item["version"]),
            error=str(exc),
        )


def _parse_body(event: dict) -> dict:
    raw = event.get("body")
    if not raw:
        raise ApiError(400, "request body is required: a JSON object")
    if event.get("isBase64Encoded"):
        try:
            data = base64.b64decode(raw, validate=True)
        except ValueError:  # binascii.Error, or non-ASCII text
            raise ApiError(400, "body is flagged base64-encoded but is not valid base64") from None
    else:
        # Measure the limit on the bytes the client sent, not on Python characters.
        data = raw.encode("utf-8", "surrogatepass")
    if len(data) > MAX_BODY_BYTES:
        raise ApiError(413, f"body is {len(data)} bytes; the limit is {MAX_BODY_BYTES} bytes")
    try:
        # Every number becomes a Decimal: DynamoDB rejects floats, and the range checks below
        # must see the exact digits the client sent (no int-size or float rounding surprises).
        body = json.loads(
            data.decode("utf-8"), parse_float=Decimal, parse_int=Decimal, parse_constant=Decimal
        )
    except UnicodeDecodeError:
        raise ApiError(400, "body must be UTF-8 encoded JSON") from None
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"body is not valid JSON: {exc}") from None
    except DecimalException:
        raise ApiError(400, "body contains a number whose exponent is out of range") from None
    except RecursionError:
        raise ApiError(400, f"body nests too deeply; values nest at most {MAX_DEPTH} levels") from None
    if not isinstance(body, dict):
        raise ApiError(400, f"body must be a JSON object, not {JSON_TYPE_NAMES[type(body)]}")
    return body


def _expected_version(event: dict, body: dict) -> int | None:
    """The version a PATCH is based on: the If-Match header or a `version` body field."""
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    from_header = from_body = None
    if_match = str(headers.get("if-match") or "*").strip()
    if if_match != "*":  # RFC 9110: If-Match: * only asks that the item exists
        match = IF_MATCH_RE.fullmatch(if_match)
        if match is None:
            raise ApiError(400, 'If-Match must be the ETag of the item version, e.g. "3"')
        from_header = int(match.group(1) or match.group(2))
    if "version" in body:
        version = body.pop("version")
        if not (
            isinstance(version, Decimal)
            and version.is_finite()
            and version == version.to_integral_value()
            and 1 <= version < MAX_VERSION
        ):
            raise ApiError(400, "field 'version' must be a positive integer: the version to update")
        from_body = int(version)
    if from_header and from_body and from_header != from_body:
        raise ApiError(400, "If-Match and field 'version' disagree; send one or make them equal")
    return from_header or from_body


def _validated_fields(body: dict) -> dict:
    if len(body) > MAX_FIELDS:
        raise ApiError(400, f"body has {len(body)} fields; at most {MAX_FIELDS} per request")
    for name, value in body.items():
        if name in SERVER_FIELDS:
            raise ApiError(400, f"field '{name}' is set by the server and cannot be written")
        _check_value(value, _field_path("", name), 0)
    return body


def _field_path(parent: str, name: str) -> str:
    if not NAME_RE.fullmatch(name):
        where = f" in '{parent}'" if parent else ""
        raise ApiError(
            400,
            f"attribute name {name[:70]!r}{where} is invalid; "
            "names are 1-64 characters of A-Z, a-z, 0-9 and _",
        )
    return f"{parent}.{name}" if parent else name


def _check_value(value, path: str, depth: int) -> None:
    """Allow str, finite DynamoDB-storable numbers, bool, null, and lists/objects of those."""
    if isinstance(value, str):
        try:
            size = len(value.encode("utf-8"))
        except UnicodeEncodeError:
            raise ApiError(400, f"field '{path}' contains an unpaired UTF-16 surrogate") from None
        if size > MAX_STRING_BYTES:
            raise ApiError(400, f"field '{path}' is {size} bytes; strings are limited to {MAX_STRING_BYTES}")
    elif isinstance(value, Decimal):
        _check_number(value, path)
    elif isinstance(value, (list, dict)):
        if depth == MAX_DEPTH:
            raise ApiError(400, f"field '{path}' nests lists/objects deeper than {MAX_DEPTH} levels")
        if isinstance(value, list):
            for i, element in enumerate(value):
                _check_value(element, f"{path}[{i}]", depth + 1)
        else:
            for name, element in value.items():
                _check_value(element, _field_path(path, name), depth + 1)
    # None and bool need no checks.


def _check_number(value: Decimal, path: str) -> None:
    if not value.is_finite():
        raise ApiError(400, f"field '{path}' must be a finite number; NaN/Infinity are not allowed")
    try:
        # The context the SDK serializes with: it traps numbers needing more than 38 digits.
        DYNAMODB_CONTEXT.create_decimal(value)
        storable = not value or MIN_NUMBER <= value.copy_abs() <= MAX_NUMBER
    except DecimalException:
        storable = False
    if not storable:
        raise ApiError(
            400,
            f"field '{path}' cannot be stored: numbers have at most 38 significant digits "
            "and a magnitude of 0 or 1E-130 to 9.99E+125",
        )


def _deserialize(attributes: dict) -> dict:
    return {name: _DESERIALIZER.deserialize(value) for name, value in attributes.items()}


def _json_number(value: Decimal) -> str:
    """A DynamoDB number (a Decimal) as a JSON number with exactly its digits: a float would round
    anything past ~17 significant digits (DynamoDB keeps 38). Decimal's str is valid JSON
    (``1.5``, ``-2E-7``); integral values are written without exponent, as integers."""
    if value == value.to_integral_value():
        return str(int(value))
    return str(value)


def _dumps(value, ensure_ascii: bool = True, separators: tuple[str, str] = (", ", ": ")) -> str:
    """json.dumps for items: strings, bools, null, lists, objects, and Decimal numbers written exactly
    (json.dumps has no hook to emit a number's own digits; its `default` must return a value)."""
    item_sep, key_sep = separators

    def encode(node) -> str:
        if isinstance(node, Decimal):
            return _json_number(node)
        if isinstance(node, dict):
            pairs = (
                json.dumps(str(k), ensure_ascii=ensure_ascii) + key_sep + encode(v) for k, v in node.items()
            )
            return "{" + item_sep.join(pairs) + "}"
        if isinstance(node, (list, tuple)):
            return "[" + item_sep.join(encode(v) for v in node) + "]"
        return json.dumps(node, ensure_ascii=ensure_ascii, allow_nan=False)  # str, int, bool, None

    return encode(value)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _not_found(item_id: str) -> ApiError:
    return ApiError(404, f"item {item_id} not found")


def _item_response(status: int, item: dict, headers: dict | None = None) -> dict:
    return _response(status, item, {"ETag": f'"{item["version"]}"', **(headers or {})})


def _response(status: int, payload: dict, headers: dict | None = None) -> dict:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **(headers or {})},
        "body": _dumps(payload),
        "isBase64Encoded": False,
    }
