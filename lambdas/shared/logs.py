"""JSON-lines logging for Lambda handlers: one object per line, so Logs Insights and metric filters
see fields (the api's `"event": "publish_failed"` filter reads them).

    LOG, log = json_logger("webstack.api")
    REQUEST_ID.set(context.aws_request_id)
    log(logging.INFO, "item created", id=item_id)
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime

# The invocation's request id, set by each handler and stamped on every line.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, message, requestId and the call's fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "message": record.getMessage(),
            "requestId": REQUEST_ID.get(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def json_logger(name: str) -> tuple[logging.Logger, Callable[..., None]]:
    """A logger of JSON lines to stdout (level: env LOG_LEVEL) and its ``log(level, msg, **fields)``."""
    logger = logging.getLogger(name)
    logger.setLevel(os.environ.get("LOG_LEVEL", "INFO"))
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(JsonFormatter())
        logger.addHandler(handler)
    # The Lambda runtime's root handler prefixes plain text, which would break the JSON lines.
    logger.propagate = False

    def log(level: int, message: str, exc_info: bool = False, **fields: object) -> None:
        logger.log(level, message, exc_info=exc_info, extra={"fields": fields})

    return logger, log
