"""lambdas/shared/logs.py: the one JSON-lines logger every handler imports (as `shared.logs`)."""

from __future__ import annotations

import json
import logging

from shared.logs import REQUEST_ID, json_logger


def test_a_line_is_one_json_object_with_the_request_id_and_fields(capsys) -> None:
    logger, log = json_logger("webstack.test-shared")
    REQUEST_ID.set("req-1")
    log(logging.WARNING, "item stored", id="abc", version=2)
    entry = json.loads(capsys.readouterr().out.strip())
    assert {k: entry[k] for k in ("level", "message", "requestId", "id", "version")} == {
        "level": "WARNING",
        "message": "item stored",
        "requestId": "req-1",
        "id": "abc",
        "version": 2,
    }
    assert entry["time"].endswith("+00:00") and logger.propagate is False


def test_exceptions_are_kept_on_the_same_line(capsys) -> None:
    _, log = json_logger("webstack.test-shared-exc")
    try:
        raise ValueError("boom")
    except ValueError:
        log(logging.ERROR, "failed", exc_info=True)
    (line,) = capsys.readouterr().out.strip().splitlines()
    assert "ValueError: boom" in json.loads(line)["exception"]


def test_asking_twice_does_not_double_the_lines(capsys) -> None:
    json_logger("webstack.test-shared-twice")
    _, log = json_logger("webstack.test-shared-twice")
    log(logging.INFO, "once")
    assert len(capsys.readouterr().out.strip().splitlines()) == 1


def test_both_handlers_log_through_the_shared_formatter() -> None:
    from unit.lambdas.conftest import API, CONSUMER

    for module in (API, CONSUMER):
        # pytest's own capture handlers sit beside it; ours is the one StreamHandler.
        (handler,) = [h for h in module.LOG.handlers if type(h) is logging.StreamHandler]
        assert type(handler.formatter).__module__ == "shared.logs"
