"""CloudFront Functions (cloudfront-js-2.0) sources, and the loader that fills their slots.

Each ``.js`` file here defines ``function handler(event)``; a slot is a JS string literal
``'__NAME__'`` replaced by a JSON-quoted value, so a value can never break out of the string.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

FUNCTIONS_DIR = Path(__file__).resolve().parent
MAX_CODE_BYTES = 10 * 1024  # CloudFront Functions quota: function size
_PREFIX = re.compile(r"(/[A-Za-z0-9_.-]+)+")  # fullmatch: no trailing newline


def check_code(code: str) -> str:
    """``code`` if CloudFront could run it as a viewer function, else ValueError."""
    if "function handler(event)" not in code:
        raise ValueError("CloudFront Function code must define `function handler(event)`")
    if len(code.encode()) > MAX_CODE_BYTES:
        raise ValueError(f"CloudFront Function code is over {MAX_CODE_BYTES} bytes")
    return code


def load(file: str, **values: str) -> str:
    """The source of ``file``, each ``'__<KEY>__'`` slot filled with ``values[key]``."""
    code = (FUNCTIONS_DIR / file).read_text()
    for slot, value in values.items():
        literal = f"'__{slot.upper()}__'"
        if literal not in code:
            raise ValueError(f"{file} has no slot {literal}")
        code = code.replace(literal, json.dumps(value))
    return check_code(code)


def directory_index() -> str:
    """``/dir/`` and ``/dir`` -> ``/dir/index.html`` (001-R2: index documents without a website endpoint)."""
    return load("directory_index.js")


def strip_prefix(prefix: str) -> str:
    """Remove ``prefix`` ("/api") from the URI before the origin sees it."""
    if not is_path_prefix(prefix):
        raise ValueError(f"prefix {prefix!r}: like '/api' (no trailing slash)")
    return load("strip_prefix.js", prefix=prefix)


def is_path_prefix(value: str) -> bool:
    """A path like ``/api`` or ``/v1/prod``: leading slash, no trailing slash, URL-safe segments."""
    return bool(_PREFIX.fullmatch(value))
