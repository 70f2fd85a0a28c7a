"""The webstack guardrail policies, one module per family; the pack is built in ../__main__.py."""

from .iam import no_wildcard_iam_actions

PACK_NAME = "webstack-guardrails"

POLICIES = [no_wildcard_iam_actions]

__all__ = ["PACK_NAME", "POLICIES"]
