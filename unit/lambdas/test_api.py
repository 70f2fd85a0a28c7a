"""Unit tests for lambdas/api/handler.py, against moto's DynamoDB and Kinesis.

Seed rows: 000-R4 (API Gateway REST proxy -> Lambda), 000-R7 (only PutItem/GetItem/UpdateItem
on the one table), 001-R10 (events published to Kinesis with the SDK, PutRecord only).
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

MISSING_ID = "0b7f6a57-1d4e-4c1b-9a63-3f4c2f3e9d10"
LIMIT = 64 * 1024


def assert_client_error(response, status: int, *fragments: str) -> None:
    """The 4xx contract: the status, a JSON content type, and a one-line {"error": ...}."""
    actual, headers, body = response
    assert actual == status, body
    assert headers["Content-Type"] == "application/json"
    assert set(body) == {"error"}
    assert body["error"] and "\n" not in body["error"]
    for fragment in fragments:
        assert fragment in body["error"]


def item_path(item_or_id) -> str:
    return f"/items/{item_or_id['id'] if isinstance(item_or_id, dict) else item_or_id}"


def bump_version(api, item_id: str) -> None:
    """A concurrent writer: bump the item's version behind the handler's back."""
    api.dynamodb.update_item(
        TableName=api.table,
        Key={"id": {"S": item_id}},
        UpdateExpression="SET #v = #v + :one, #o = :one",
        ExpressionAttributeNames={"#v": "version", "#o": "other"},
        ExpressionAttributeValues={":one": {"N": "1"}},
    )


# --- routes (000-R4) ---------------------------------------------------------------------------


def test_000_R4_post_creates_item_from_proxy_event(api):
    payload = {
        "name": "widget",
        "price": 9.99,
        "qty": 3,
        "tags": ["a"],
        "meta": {"x": None, "ok": True},
    }
    status, headers, item = api.call("POST", "/items", payload)

    assert status == 201
    assert headers["Content-Type"] == "application/json"
    assert uuid.UUID(item["id"]).version == 4
    server_fields = {"id": item["id"], "version": 1, "updatedAt": item["createdAt"]}
    assert item == {**payload, **server_fields, "createdAt": item["createdAt"]}
    assert datetime.fromisoformat(item["createdAt"].replace("Z", "+00:00")).utcoffset() == timedelta(0)
    assert headers["Location"] == item_path(item)
    assert headers["ETag"] == '"1"'
    stored = api.dynamodb.get_item(TableName=api.table, Key={"id": {"S": item["id"]}})["Item"]
    assert stored["price"] == {"N": "9.99"}
    assert stored["version"] == {"N": "1"}


def test_000_R4_get_returns_item(api):
    created = api.create({"name": "widget", "price": 1.5})
    status, headers, item = api.call("GET", item_path(created))
    assert status == 200
    assert item == created
    assert headers["ETag"] == '"1"'


def test_000_R4_routes_behind_a_custom_domain_base_path(api):
    """With a base-path mapping, `path` is /v1/items/...; routing must use `resource`."""
    created = api.create()
    response = api.module.handler(api.event("GET", item_path(created), base_path="/v1"), None)
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["id"] == created["id"]


def test_000_R4_routes_through_a_greedy_proxy_resource(api):
    created = api.create()
    request = api.event("PATCH", item_path(created), json.dumps({"a": 1}))
    request.update(resource="/{proxy+}", pathParameters={"proxy": item_path(created)[1:]})
    response = api.module.handler(request, None)
    assert response["statusCode"] == 200
    assert json.loads(response["body"])["version"] == 2


def test_get_accepts_upper_case_uuid(api):
    created = api.create()
    status, _, item = api.call("GET", item_path(created["id"].upper()))
    assert status == 200
    assert item["id"] == created["id"]


def test_get_missing_item_is_404(api):
    assert_client_error(api.call("GET", item_path(MISSING_ID)), 404, MISSING_ID)


@pytest.mark.parametrize("path", ["/", "", "/foo", "/itemsx", "/items/x/y", "/v1/items"])
def test_unknown_route_is_404(api, path):
    assert_client_error(api.call("GET", path), 404, "/items")


@pytest.mark.parametrize(
    "method, path, allow",
    [
        ("GET", "/items", "POST"),
        ("PUT", "/items", "POST"),
        ("DELETE", item_path(MISSING_ID), "GET, PATCH"),
        ("POST", item_path(MISSING_ID), "GET, PATCH"),
        ("PUT", item_path("not-a-uuid"), "GET, PATCH"),
    ],
)
def test_wrong_method_is_405_with_allow_header(api, method, path, allow):
    response = api.call(method, path, {"a": 1})
    assert_client_error(response, 405, allow)
    assert response[1]["Allow"] == allow


@pytest.mark.parametrize("method", ["GET", "PATCH"])
@pytest.mark.parametrize(
    "bad_id",
    ["not-a-uuid", "123", MISSING_ID.replace("-", ""), "{" + MISSING_ID + "}", MISSING_ID + "0"],
)
def test_malformed_id_is_400(api, method, bad_id):
    assert_client_error(api.call(method, item_path(bad_id), {"a": 1}), 400, "UUID")


# --- input validation (never 5xx) ---------------------------------------------------------------

TOO_DEEP = '{"a": {"b": {"c": {"d": {"e": {"f": {"g": 1}}}}}}}'
BAD_BODIES = [
    pytest.param(None, 400, "body is required", id="missing"),
    pytest.param("", 400, "body is required", id="empty"),
    pytest.param("{", 400, "not valid JSON", id="truncated-json"),
    pytest.param("   ", 400, "not valid JSON", id="whitespace"),
    pytest.param('{"a": 1} x', 400, "not valid JSON", id="trailing-garbage"),
    pytest.param("[1, 2]", 400, "JSON object, not an array", id="array"),
    pytest.param('"text"', 400, "not a string", id="string"),
    pytest.param("42", 400, "not a number", id="number"),
    pytest.param("true", 400, "not a boolean", id="boolean"),
    pytest.param("null", 400, "not null", id="null"),
    pytest.param('{"a": NaN}', 400, "'a' must be a finite number", id="nan"),
    pytest.param('{"a": [Infinity]}', 400, "'a[0]' must be a finite number", id="infinity"),
    pytest.param('{"a": {"b": -Infinity}}', 400, "'a.b' must be a finite", id="neg-infinity"),
    pytest.param('{"a": 1e126}', 400, "'a' cannot be stored", id="number-too-large"),
    pytest.param('{"a": 1e-131}', 400, "'a' cannot be stored", id="number-too-small"),
    pytest.param('{"a": 1.234567890123456789012345678901234567891}', 400, "38", id="39-digits"),
    pytest.param('{"a": 1' + "0" * 5000 + "}", 400, "'a' cannot be stored", id="5000-digit-int"),
    pytest.param('{"a": 1e99999999999999999999}', 400, "exponent", id="absurd-exponent"),
    pytest.param('{"a": "' + "x" * 4097 + '"}', 400, "'a' is 4097 bytes", id="long-string"),
    pytest.param('{"a": "' + "é" * 2049 + '"}', 400, "'a' is 4098 bytes", id="long-utf8-string"),
    pytest.param('{"a": "\\ud800"}', 400, "'a' contains an unpaired", id="lone-surrogate"),
    pytest.param('{"a": [[[[[[1]]]]]]}', 400, "'a[0][0][0][0][0]' nests", id="six-lists"),
    pytest.param(TOO_DEEP, 400, "'a.b.c.d.e.f' nests", id="six-objects"),
    pytest.param('{"a":' + "[" * 30000 + "]" * 30000 + "}", 400, "too deeply", id="recursion"),
    pytest.param('{"": 1}', 400, "attribute name ''", id="empty-name"),
    pytest.param('{"a-b": 1}', 400, "'a-b' is invalid", id="dash-name"),
    pytest.param('{"é": 1}', 400, "'é' is invalid", id="unicode-name"),
    pytest.param('{"a\\n": 1}', 400, "'a\\n' is invalid", id="newline-name"),
    pytest.param('{"' + "a" * 65 + '": 1}', 400, "1-64 characters", id="long-name"),
    pytest.param('{"a": {"b c": 1}}', 400, "'b c' in 'a' is invalid", id="nested-name"),
    pytest.param(json.dumps({f"f{i}": i for i in range(101)}), 400, "at most 100", id="101-fields"),
    pytest.param("\ud800", 400, "UTF-8", id="text-lone-surrogate"),
    pytest.param('{"id": "x"}', 400, "'id' is set by the server", id="id"),
    pytest.param('{"createdAt": "x"}', 400, "'createdAt' is set by the server", id="createdAt"),
    pytest.param('{"updatedAt": "x"}', 400, "'updatedAt' is set by the server", id="updatedAt"),
    pytest.param("x" * (LIMIT + 1), 413, f"{LIMIT + 1} bytes", id="too-large"),
    pytest.param("é" * (LIMIT // 2 + 1), 413, f"{LIMIT + 2} bytes", id="too-large-utf8"),
]


@pytest.mark.parametrize("body, status, fragment", BAD_BODIES)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_bad_body_is_4xx_naming_the_problem(api, method, body, status, fragment):
    path = "/items" if method == "POST" else item_path(api.create())
    assert_client_error(api.raw(method, path, body), status, fragment)
    assert len(api.stream_records()) == (0 if method == "POST" else 1)  # only the setup's POST


def test_post_rejects_version_field(api):
    assert_client_error(api.call("POST", "/items", {"version": 3}), 400, "'version' is set by")


def test_deepest_allowed_nesting_is_accepted(api):
    status, _, item = api.raw("POST", "/items", TOO_DEEP.replace('{"g": 1}', "1"))
    assert status == 201
    assert item["a"] == {"b": {"c": {"d": {"e": {"f": 1}}}}}


def test_body_exactly_at_limit_is_accepted(api):
    text = json.dumps({f"f{i}": "x" * 4000 for i in range(16)})
    status, _, _ = api.raw("POST", "/items", text + " " * (LIMIT - len(text)))
    assert status == 201


def test_base64_body_is_decoded(api):
    body = base64.b64encode(json.dumps({"name": "b64"}).encode()).decode()
    status, _, item = api.raw("POST", "/items", body, base64_encoded=True)
    assert status == 201
    assert item["name"] == "b64"


def test_base64_limit_applies_to_decoded_bytes(api):
    # Encoded it is over 64 KiB; decoded it is under, so it is accepted.
    text = json.dumps({f"f{i}": "x" * 4000 for i in range(14)})
    encoded = base64.b64encode(text.encode()).decode()
    assert len(encoded) > LIMIT > len(text)
    assert api.raw("POST", "/items", encoded, base64_encoded=True)[0] == 201

    too_big = base64.b64encode(b" " * (LIMIT + 1)).decode()
    assert_client_error(api.raw("POST", "/items", too_big, base64_encoded=True), 413, "limit")


@pytest.mark.parametrize(
    "body, fragment",
    [("not base64!", "not valid base64"), ("é", "not valid base64"), ("//79", "UTF-8")],
)
def test_bad_base64_body_is_400(api, body, fragment):
    assert_client_error(api.raw("POST", "/items", body, base64_encoded=True), 400, fragment)


# --- PATCH and conditional writes ---------------------------------------------------------------


def test_patch_updates_given_fields_and_increments_version(api):
    created = api.create({"name": "widget", "qty": 1})
    status, headers, item = api.call("PATCH", item_path(created), {"qty": 2, "status": "new"})
    assert status == 200
    assert headers["ETag"] == '"2"'
    assert item["version"] == 2
    assert (item["name"], item["qty"], item["status"]) == ("widget", 2, "new")
    assert item["createdAt"] == created["createdAt"]
    assert item["updatedAt"] >= created["updatedAt"]

    api.call("PATCH", item_path(created), {"qty": None})
    _, _, current = api.call("GET", item_path(created))
    assert current["version"] == 3
    assert current["qty"] is None


@pytest.mark.parametrize("field", ["id", "createdAt", "updatedAt"])
def test_patch_rejects_server_fields(api, field):
    created = api.create()
    assert_client_error(api.call("PATCH", item_path(created), {field: "x"}), 400, f"'{field}'")


def test_patch_with_stale_if_match_is_409(api):
    """Two clients read version 1; the second write must not overwrite the first."""
    created = api.create({"qty": 0})
    first = api.call("PATCH", item_path(created), {"qty": 1}, {"If-Match": '"1"'})
    assert first[0] == 200
    assert first[2]["version"] == 2

    second = api.call("PATCH", item_path(created), {"qty": 2}, {"If-Match": '"1"'})
    assert_client_error(second, 409, "based on version 1", "at version 2")
    _, _, current = api.call("GET", item_path(created))
    assert (current["qty"], current["version"]) == (1, 2)


def test_patch_with_stale_body_version_is_409(api):
    created = api.create()
    assert api.call("PATCH", item_path(created), {"version": 1, "qty": 5})[0] == 200
    assert_client_error(api.call("PATCH", item_path(created), {"version": 1, "qty": 6}), 409)
    assert api.call("GET", item_path(created))[2]["qty"] == 5


@pytest.mark.parametrize("header, value", [("If-Match", '"1"'), ("if-match", "1"), ("IF-MATCH", "*")])
def test_patch_accepts_if_match_forms(api, header, value):
    created = api.create()
    status, _, item = api.call("PATCH", item_path(created), {"a": 1}, {header: value})
    assert status == 200
    assert item["version"] == 2


@pytest.mark.parametrize(
    "headers, payload, fragment",
    [
        ({"If-Match": "abc"}, {"a": 1}, "If-Match"),
        ({"If-Match": '"0"'}, {"a": 1}, "If-Match"),
        ({"If-Match": 'W/"1"'}, {"a": 1}, "If-Match"),
        ({"If-Match": '"1'}, {"a": 1}, "If-Match"),
        (None, {"version": "1", "a": 1}, "'version' must be a positive integer"),
        (None, {"version": 0, "a": 1}, "'version'"),
        (None, {"version": 1.5, "a": 1}, "'version'"),
        (None, {"version": True, "a": 1}, "'version'"),
        (None, {"version": None, "a": 1}, "'version'"),
        ({"If-Match": '"1"'}, {"version": 2, "a": 1}, "disagree"),
        (None, {"version": 1}, "at least one field"),
        (None, {}, "at least one field"),
    ],
)
def test_patch_bad_precondition_is_400(api, headers, payload, fragment):
    created = api.create()
    assert_client_error(api.call("PATCH", item_path(created), payload, headers), 400, fragment)


@pytest.mark.parametrize("headers", [None, {"If-Match": '"1"'}])
def test_patch_missing_item_is_404(api, headers):
    assert_client_error(api.call("PATCH", item_path(MISSING_ID), {"a": 1}, headers), 404, MISSING_ID)
    assert api.dynamodb.get_item(TableName=api.table, Key={"id": {"S": MISSING_ID}}).get("Item") is None


def test_patch_without_precondition_retries_after_a_concurrent_write(api):
    created = api.create()
    bumps = []

    def concurrent_writer(**_):
        if not bumps:  # only before the first attempt
            bumps.append(1)
            bump_version(api, created["id"])

    api.module._client("dynamodb").meta.events.register("before-call.dynamodb.UpdateItem", concurrent_writer)
    status, _, item = api.call("PATCH", item_path(created), {"a": 1})
    assert status == 200
    assert item["version"] == 3  # 1 -> 2 by the other writer -> 3 by this PATCH
    assert (item["a"], item["other"]) == (1, 1)  # nothing lost


def test_patch_without_precondition_gives_up_after_3_attempts(api):
    created = api.create()
    api.module._client("dynamodb").meta.events.register(
        "before-call.dynamodb.UpdateItem", lambda **_: bump_version(api, created["id"])
    )
    assert_client_error(api.call("PATCH", item_path(created), {"a": 1}), 409, "3 times")
    assert [op for _, op, _ in api.calls].count("UpdateItem") == 3


def test_patch_growing_item_past_400_kb_is_413(api):
    created = api.create()
    chunk = {f"f{i}": "x" * 4000 for i in range(15)}
    statuses = []
    for round_ in range(8):
        payload = {f"r{round_}_{name}": value for name, value in chunk.items()}
        statuses.append(api.call("PATCH", item_path(created), payload)[0])
    assert statuses == [200] * 6 + [413] * 2


# --- Kinesis events (001-R10) -------------------------------------------------------------------


def test_001_R10_each_write_publishes_one_event(api):
    created = api.create({"qty": 1})
    _, _, updated = api.call("PATCH", item_path(created), {"qty": 2})

    created_event, updated_event = api.stream_records()
    assert created_event == {
        "partitionKey": created["id"],
        "type": "item.created",
        "id": created["id"],
        "version": 1,
        "item": created,
        "at": created["createdAt"],
    }
    assert updated_event == {
        "partitionKey": created["id"],
        "type": "item.updated",
        "id": created["id"],
        "version": 2,
        "item": updated,
        "at": updated["updatedAt"],
    }


def test_failed_writes_publish_nothing(api):
    created = api.create()
    api.call("PATCH", item_path(created), {"a": 1}, {"If-Match": '"7"'})
    api.call("PATCH", item_path(MISSING_ID), {"a": 1})
    api.call("POST", "/items", {"id": "x"})
    assert [record["type"] for record in api.stream_records()] == ["item.created"]


def _exercise_every_path(api) -> None:
    """Drive the handler through every route, success and failure path."""
    created = api.create({"name": "a"})
    api.call("GET", item_path(created))
    api.call("GET", item_path(MISSING_ID))
    api.call("PATCH", item_path(created), {"a": 1})
    api.call("PATCH", item_path(created), {"a": 2}, {"If-Match": '"2"'})
    api.call("PATCH", item_path(created), {"a": 3}, {"If-Match": '"1"'})
    api.call("PATCH", item_path(created), {"version": 9, "a": 3})
    api.call("PATCH", item_path(MISSING_ID), {"a": 1})
    api.call("PATCH", item_path(MISSING_ID), {"a": 1}, {"If-Match": "*"})
    api.call("POST", "/items", {"bad-name": 1})
    api.call("DELETE", item_path(created))
    api.module._client("dynamodb").meta.events.register(
        "before-call.dynamodb.UpdateItem", lambda **_: bump_version(api, created["id"])
    )
    api.call("PATCH", item_path(created), {"a": 4})


def test_000_R7_api_calls_only_put_get_update_item(api):
    """000-R7: the backend uses only PutItem/GetItem/UpdateItem, on the one table."""
    _exercise_every_path(api)
    assert api.calls.ops("dynamodb") == {"PutItem", "GetItem", "UpdateItem"}
    assert {params["TableName"] for service, _, params in api.calls if service == "dynamodb"} == {api.table}


def test_001_R10_api_calls_only_put_record_on_kinesis(api):
    """001-R10: the backend publishes with the SDK, and only with PutRecord/PutRecords."""
    _exercise_every_path(api)
    assert api.calls.ops("kinesis") <= {"PutRecord", "PutRecords"}
    assert {params["StreamName"] for service, _, params in api.calls if service == "kinesis"} == {api.stream}
    assert {service for service, _, _ in api.calls} == {"dynamodb", "kinesis"}


def test_kinesis_failure_after_write_still_succeeds_and_logs_error(api, monkeypatch):
    monkeypatch.setenv("STREAM_NAME", "no-such-stream")
    status, _, created = api.call("POST", "/items", {"a": 1})
    assert status == 201
    assert api.call("GET", item_path(created))[0] == 200  # the write is the source of truth
    assert api.call("PATCH", item_path(created), {"a": 2})[0] == 200

    failures = [line for line in api.logs.lines() if line.get("event") == "publish_failed"]
    assert [(f["level"], f["type"], f["id"], f["version"]) for f in failures] == [
        ("ERROR", "item.created", created["id"], 1),
        ("ERROR", "item.updated", created["id"], 2),
    ]


# --- AWS failures and logging -------------------------------------------------------------------


def test_dynamodb_throttling_is_503(api, monkeypatch):
    def throttled(**_):
        error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow down"}}
        raise ClientError(error, "GetItem")

    monkeypatch.setattr(api.module._client("dynamodb"), "get_item", throttled)
    assert_client_error(api.call("GET", item_path(MISSING_ID)), 503, "retry")


def test_unexpected_error_is_json_500(api, monkeypatch):
    monkeypatch.setattr(api.module, "_load", lambda item_id: 1 / 0)
    assert_client_error(api.call("GET", item_path(MISSING_ID)), 500, "internal error")
    assert "ZeroDivisionError" in api.logs.lines()[0]["exception"]


def test_logs_one_json_line_per_request(api):
    api.create()
    api.call("GET", "/nowhere")
    requests = [line for line in api.logs.lines() if line["message"] == "request"]
    assert [(r["level"], r["method"], r["path"], r["status"]) for r in requests] == [
        ("INFO", "POST", "/items", 201),
        ("INFO", "GET", "/nowhere", 404),
    ]
    assert requests[0]["error"] is None
    assert "no such route" in requests[1]["error"]
    assert {r["requestId"] for r in requests} == {"test-request-id"}


# --- fuzzing: arbitrary input never yields a 5xx ------------------------------------------------

EXISTING = "{existing}"  # replaced by the id of a real item
FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
any_text = st.text(st.characters() | st.characters(categories=["Cs"]), max_size=60)
names = st.from_regex(r"[A-Za-z0-9_]{1,10}", fullmatch=True)


def json_values(keys):
    return st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | any_text,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
        max_leaves=25,
    )


any_json = json_values(any_text | names | st.sampled_from(["id", "version"]))
text_bodies = st.one_of(
    any_text,
    any_json.map(json.dumps),  # floats include NaN and +-Infinity
    st.dictionaries(names | st.sampled_from(["version", "id"]), any_json, max_size=6).map(json.dumps),
    st.from_regex(r"-?[0-9]{1,60}(\.[0-9]{1,60})?([eE][-+]?[0-9]{1,22})?", fullmatch=True).map(
        lambda number: f'{{"n": {number}}}'
    ),
    st.integers(0, 32_000).map(lambda depth: '{"a":' + "[" * depth + "]" * depth + "}"),
)
bodies = st.one_of(
    st.none().map(lambda body: (body, False)),
    text_bodies.map(lambda body: (body, False)),
    text_bodies.map(lambda body: (base64.b64encode(body.encode("utf-8", "surrogatepass")).decode(), True)),
    st.binary(max_size=200).map(lambda raw: (base64.b64encode(raw).decode(), True)),
    any_text.map(lambda body: (body, True)),  # flagged base64 but arbitrary text
)
headers = st.none() | st.dictionaries(
    st.sampled_from(["If-Match", "if-match", "Content-Type"]),
    any_text | st.sampled_from(['"1"', "1", "*", '"999"']),
    max_size=2,
)
routes = st.sampled_from(
    [("POST", "/items"), ("PATCH", f"/items/{EXISTING}"), ("PATCH", item_path(MISSING_ID))]
)
any_routes = st.tuples(
    st.sampled_from(["GET", "POST", "PATCH", "PUT", "DELETE", "HEAD", "OPTIONS"]) | any_text,
    st.one_of(
        st.sampled_from(["/items", "/items/", "/", "", f"/items/{EXISTING}"]),
        any_text,
        any_text.map(lambda tail: "/items/" + tail),
    ),
)


def assert_fuzzed_request_handled(api, route, body, request_headers) -> None:
    method, path = route
    if EXISTING in path:
        path = path.replace(EXISTING, api.existing_id)
    text, is_base64 = body
    status, response_headers, payload = api.raw(method, path, text, request_headers, is_base64)
    event(f"status {status}")  # shown by --hypothesis-show-statistics
    assert status < 500, payload
    assert response_headers["Content-Type"] == "application/json"
    if status >= 400:
        assert isinstance(payload["error"], str) and payload["error"]
        assert "\n" not in payload["error"]
    if status == 405:
        assert response_headers["Allow"]


@FUZZ
@given(route=routes, body=bodies, request_headers=headers)
def test_fuzz_any_body_is_never_5xx(api, route, body, request_headers):
    assert_fuzzed_request_handled(api, route, body, request_headers)


@FUZZ
@given(route=any_routes, body=bodies, request_headers=headers)
def test_fuzz_any_method_and_path_is_never_5xx(api, route, body, request_headers):
    assert_fuzzed_request_handled(api, route, body, request_headers)


@FUZZ
@given(fields=st.dictionaries(names, json_values(names), max_size=6))
def test_fuzz_accepted_items_round_trip_unchanged(api, fields):
    """Whatever validation accepts, DynamoDB stores and GET returns as sent (or it is a 400)."""
    status, _, created = api.call("POST", "/items", fields)
    event(f"status {status}")
    assert status in (201, 400), created
    if status == 201:
        returned = {k: v for k, v in created.items() if k in fields}
        assert as_json_numbers(returned) == as_json_numbers(fields)
        assert api.call("GET", item_path(created))[2] == created


def as_json_numbers(value):
    """Compare numbers as a JSON parser would: 2.5e+16 and 25000000000000000 are one number."""
    if isinstance(value, dict):
        return {k: as_json_numbers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json_numbers(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    return value


# --- exact numbers, retry budget and timeouts (issue 9 C) ---------------------------------------


def test_numbers_with_more_digits_than_a_float_are_returned_and_published_exactly(api):
    """DynamoDB keeps 38 significant digits; a float keeps ~17. The API answers and publishes the
    digits it stored, not a rounded float."""
    body = (
        '{"big": 12345678901234567890.123456789, "tenth": 0.1000000000000000055511151231257827, '
        '"whole": 123456789012345678901234567890, "small": -0.00000012345678901234567890123}'
    )
    created = api.module.handler(api.event("POST", "/items", body), None)
    assert created["statusCode"] == 201, created["body"]
    exact = {
        "big": "12345678901234567890.123456789",
        "tenth": "0.1000000000000000055511151231257827",
        "whole": "123456789012345678901234567890",
        "small": "-1.2345678901234567890123E-7",
    }
    item_id = json.loads(created["body"])["id"]
    fetched = api.module.handler(api.event("GET", item_path(item_id)), None)
    for response in (created, fetched):
        for name, digits in exact.items():
            assert f'"{name}": {digits}' in response["body"], response["body"]
    shard = api.kinesis.list_shards(StreamName=api.stream)["Shards"][0]["ShardId"]
    iterator = api.kinesis.get_shard_iterator(
        StreamName=api.stream, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    published = api.kinesis.get_records(ShardIterator=iterator)["Records"][0]["Data"].decode()
    for name, digits in exact.items():
        assert f'"{name}":{digits}' in published, published


class _FailingDynamoDB:
    """A DynamoDB endpoint on 127.0.0.1 that answers every request 500 and counts them."""

    def __init__(self):
        import http.server
        import threading

        outer = self
        self.requests = 0

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                outer.requests += 1
                body = b'{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"boom"}'
                self.send_response(500)
                self.send_header("Content-Type", "application/x-amz-json-1.0")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *_args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def failing_dynamodb(monkeypatch):
    from unit.lambdas.conftest import API

    server = _FailingDynamoDB()
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", server.url)
    monkeypatch.setenv("TABLE_NAME", "items")
    monkeypatch.setenv("STREAM_NAME", "item-events")
    monkeypatch.setattr(API, "_clients", {})
    yield server
    server.stop()


class _Remaining:
    aws_request_id = "budget"

    def __init__(self, ms: int):
        self.ms = ms

    def get_remaining_time_in_millis(self) -> int:
        return self.ms


def test_a_failing_call_is_tried_3_times_as_documented_then_503(failing_dynamodb):
    """botocore's retries.max_attempts counts retries (3 meant 4 attempts); total_max_attempts=3."""
    from unit.lambdas.conftest import API

    response = API.handler(_post_event(), _Remaining(10_000))
    assert response["statusCode"] == 503 and "retry with backoff" in json.loads(response["body"])["error"]
    assert failing_dynamodb.requests == 3


def test_no_attempt_starts_that_could_outlast_the_remaining_time(failing_dynamodb):
    """With 3 s left (less the margin) a 1 s connect + 2 s read attempt cannot finish: 503 at once."""
    from unit.lambdas.conftest import API

    response = API.handler(_post_event(), _Remaining(3_000))
    assert response["statusCode"] == 503
    assert failing_dynamodb.requests == 0


def test_each_attempt_is_bounded_well_inside_the_integration_timeout():
    from unit.lambdas.conftest import API

    config = API._BOTO_CONFIG
    assert (config.connect_timeout, config.read_timeout) == (1, 2)
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
    assert API.INTEGRATION_TIMEOUT_S == 29


def _post_event() -> dict:
    return {
        "resource": "/items",
        "path": "/items",
        "httpMethod": "POST",
        "headers": None,
        "pathParameters": None,
        "body": '{"name": "widget"}',
        "isBase64Encoded": False,
    }
