"""The event schema, poison reasons and exact numbers of lambdas/pipeline/pipeline_core.py."""

from __future__ import annotations

import base64
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "lambdas" / "pipeline"))
import pipeline_core as core

from .conftest import encode, event

LIMIT = 65536


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def test_003_R36_valid_record_decodes_with_exact_value():
    checked = core.decode_record(encode(event(1, value="0.1", attributes={"room": "a", "n": 1.50})), LIMIT)
    assert checked == {
        "eventId": "evt-1",
        "source": "sensor-a",
        "type": "temp",
        "timestamp": "2026-01-01T12:00:01Z",
        "value": "0.1",
        "attributes": {"room": "a", "n": Decimal("1.5")},
    }


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        ("!!not-base64!!", "bad base64"),
        ("eyJ", "bad base64"),  # truncated: not a multiple of 4
        (b64(b"\xff\xfe{}"), "not UTF-8: invalid byte at offset 0"),
        (b64(b"hello"), "not JSON: Expecting value: line 1 column 1 (char 0)"),
        (b64(b'{"value": NaN}'), "non-finite number NaN"),
        (b64(b'{"value": -Infinity}'), "non-finite number -Infinity"),
        (b64(b'{"a": 1, "a": 2}'), "duplicate JSON key 'a'"),
        (b64(b"[1, 2]"), "event must be a JSON object, got array"),
        (
            b64(b'{"eventId": "e"}'),
            "missing field(s) 'source', 'type', 'timestamp', 'value' "
            "(required: eventId, source, type, timestamp, value)",
        ),
        (b64(b"x" * (LIMIT + 1)), "oversize: 65537 bytes > 65536"),
        (b64(b"x" * (LIMIT * 2)), "oversize: record larger than 65536 bytes"),
    ],
)
def test_003_R36_poison_reasons(data, reason):
    with pytest.raises(core.PoisonError) as caught:
        core.decode_record(data, LIMIT)
    assert str(caught.value) == reason


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"value": '"12"'}, "field 'value' must be a number, got string"),
        ({"value": "true"}, "field 'value' must be a number, got boolean"),
        ({"value": "1e15"}, "field 'value' out of range: magnitude must be below 1e15"),
        ({"value": "0.0000001"}, "field 'value' has more than 6 fraction digits"),
        ({"value": "1e-999999999"}, "field 'value' has more than 6 fraction digits"),
        ({"value": "1" * 41}, "field 'value' has more than 40 digits"),
        ({"eventId": ""}, "field 'eventId' must be 1-256 characters without control characters"),
        ({"eventId": 7}, "field 'eventId' must be a string, got number"),
        ({"source": "a#b"}, "field 'source' must match [A-Za-z0-9][A-Za-z0-9._:-]{0,127}"),
        ({"type": None}, "field 'type' must be a string, got null"),
        (
            {"timestamp": "2026-01-01"},
            "field 'timestamp' must be ISO-8601 date-time in UTC, e.g. 2026-01-01T12:00:00Z",
        ),
        ({"timestamp": "2026-01-01T12:00:00"}, "field 'timestamp' has no UTC offset (add 'Z')"),
        (
            {"timestamp": "2026-01-01T12:00:00+02:00"},
            "field 'timestamp' must be UTC (offset 'Z' or '+00:00')",
        ),
        (
            {"timestamp": "2026-13-01T12:00:00Z"},
            "field 'timestamp' must be ISO-8601 date-time in UTC, e.g. 2026-01-01T12:00:00Z",
        ),
        ({"attributes": [1]}, "field 'attributes' must be an object, got array"),
        (
            {"extra": 1},
            "unknown field(s) 'extra' (allowed: eventId, source, type, timestamp, value, attributes)",
        ),
    ],
)
def test_003_R36_schema_poison_reasons(changes, reason):
    with pytest.raises(core.PoisonError) as caught:
        core.decode_record(encode({**event(1), **changes}), LIMIT)
    assert str(caught.value) == reason


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("0.1", "0.1"),
        ("1.10", "1.1"),
        ("1E+2", "100"),
        ("-0", "0"),
        ("0E+5", "0"),
        ("-2.500", "-2.5"),
        ("999999999999999.999999", "999999999999999.999999"),
        ("1000000000000000", None),
    ],
)
def test_values_are_kept_exact(text, canonical):
    doc = encode(event(1, value=text))
    if canonical is None:
        with pytest.raises(core.PoisonError):
            core.decode_record(doc, LIMIT)
    else:
        assert core.decode_record(doc, LIMIT)["value"] == canonical


def test_enrich_is_deterministic_and_normalises_the_timestamp():
    checked = core.check_event(
        core.loads(
            '{"eventId":"e","source":"s","type":"t","timestamp":"2026-01-01T23:59:59.5+00:00","value":2}'
        )
    )
    first, second = core.enrich(checked), core.enrich(dict(checked))
    assert first == second
    assert first["timestamp"] == "2026-01-01T23:59:59.500000Z"
    assert first["minute"] == "2026-01-01T23:59"
    assert len(first["digest"]) == 64


def test_dumps_writes_decimals_exactly_and_sorts_keys():
    assert (
        core.dumps({"b": [Decimal("0.30"), 1, True, None], "a": "é"})
        == '{"a":"\\u00e9","b":[0.3,1,true,null]}'
    )


@given(
    st.decimals(
        min_value=Decimal("-999999999999999.999999"),
        max_value=Decimal("999999999999999.999999"),
        places=6,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_decimal_text_round_trips(value):
    assert Decimal(core.decimal_text(value)) == value
    assert "E" not in core.decimal_text(value)


def test_env_errors_name_the_variable(monkeypatch):
    monkeypatch.delenv("TABLE_NAME", raising=False)
    with pytest.raises(core.ConfigError, match=r"^environment variable TABLE_NAME is required$"):
        core.env("TABLE_NAME")
    monkeypatch.setenv("COUNT_THRESHOLD", "lots")
    with pytest.raises(
        core.ConfigError, match=r"^environment variable COUNT_THRESHOLD='lots': must be a decimal"
    ):
        core.env_decimal("COUNT_THRESHOLD")


def test_003_R16_clients_retry_with_standard_mode():
    assert core._BOTO_CONFIG.retries == {"mode": "standard", "max_attempts": 3}


def test_send_batch_chunks_by_count_and_bytes():
    bodies = [(str(n), "x" * 100) for n in range(25)] + [("big1", "y" * 200_000), ("big2", "z" * 200_000)]
    sizes = [len(chunk) for chunk in core._chunks(bodies)]
    assert sizes == [10, 10, 6, 1]  # the 6th: five small bodies + one 200 KB body fit in 256 KiB


def test_integer_values_are_exact_and_huge_integers_are_poison():
    assert core.decode_record(encode(event(1, value="12345678901234")), LIMIT)["value"] == "12345678901234"
    with pytest.raises(core.PoisonError, match=r"^not JSON: Exceeds the limit \(4300 digits\)"):
        core.decode_record(encode(event(1, value="9" * 5000)), LIMIT)
