"""boto3 clients for Lambda handlers: created on first use, reused across warm invocations."""

from __future__ import annotations

import os
from typing import Any

import boto3
from botocore.config import Config


def cached_client(cache: dict[str, Any], service: str, config: Config) -> Any:
    """The ``service`` client from ``cache``, created on first use in the function's region.

    Lazy so that nothing talks to AWS at import time and tests can start moto first; the cache is
    the handler's own module-level dict, so a test can swap in a fresh one.
    """
    client = cache.get(service)
    if client is None:
        region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
        client = cache[service] = boto3.client(service, region_name=region, config=config)
    return client
