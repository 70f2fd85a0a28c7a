"""Physical names: ``<purpose>-<suffix>``, within each AWS type's length and character limits.

Every name webstack gives a resource ends with ``-<environmentSuffix>`` so that stacks of the same
blueprint can live side by side in one account, and so that the naming policy can check it. When
a purpose is too long for its type, it is shortened and a short digest of the full purpose is
kept, so two long purposes never collapse to the same name. Pure functions, no Pulumi.
"""

from __future__ import annotations

import hashlib
import re

from policy_pack.policies.name_limits import RULES

# Matched whole (fullmatch): with ``$`` a final newline ("dev\n") would pass.
SUFFIX_PATTERN = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
MAX_SUFFIX_LENGTH = 16
PURPOSE_PATTERN = re.compile(r"[a-z][a-z0-9]*(-[a-z0-9]+)*")
DIGEST_LENGTH = 4
# Kinds whose names AWS requires to start with a fixed prefix.
PREFIXES = {"kms-alias": "alias/"}


# The tightest limit above (ALB and target group names) less room for a readable purpose.
assert RULES["alb"].max_length - 1 - 8 >= MAX_SUFFIX_LENGTH


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:DIGEST_LENGTH]


def validate_suffix(suffix: str) -> str | None:
    """None if ``suffix`` is a usable environment suffix, else why not (one line)."""
    if not suffix:
        return "it is empty"
    if len(suffix) > MAX_SUFFIX_LENGTH:
        return (
            f"it has {len(suffix)} characters; at most {MAX_SUFFIX_LENGTH} keep every name "
            "within its AWS limit"
        )
    if not SUFFIX_PATTERN.fullmatch(suffix):
        return "use lowercase letters, digits and single hyphens, not at either end"
    return None


def physical_name(purpose: str, suffix: str, kind: str = "generic", *, account_id: str = "") -> str:
    """``<purpose>[-<account_id>]-<suffix>``, shortened to fit ``kind``'s AWS limit.

    S3 bucket names are global across all accounts, so pass ``account_id`` for buckets.
    Raises ValueError on a purpose or suffix AWS would not accept (a programming error).
    """
    rule = RULES[kind]
    if not PURPOSE_PATTERN.fullmatch(purpose):
        raise ValueError(f"purpose {purpose!r}: lowercase letters, digits and single hyphens")
    problem = validate_suffix(suffix)
    if problem:
        raise ValueError(f"suffix {suffix!r}: {problem}")
    head = PREFIXES.get(kind, "")
    tail = f"-{account_id}-{suffix}" if account_id else f"-{suffix}"
    name = head + purpose + tail
    if len(name) > rule.max_length:
        room = rule.max_length - len(head) - len(tail) - DIGEST_LENGTH - 1
        if room < 1:
            raise ValueError(f"{kind} names allow {rule.max_length} characters; {tail!r} leaves no room")
        name = f"{head}{purpose[:room].rstrip('-')}-{_digest(purpose)}{tail}"
    if len(name) < rule.min_length or not rule.allowed.fullmatch(name):
        raise ValueError(f"{name!r} is not a valid {kind} name")
    return name


def bucket_name(purpose: str, suffix: str, account_id: str) -> str:
    """A PrivateBucket's name: the component and whoever grants on it call this one function."""
    return physical_name(purpose, suffix, "s3-bucket", account_id=account_id)


def function_name(purpose: str, suffix: str) -> str:
    """A Function's name (and so its ``/aws/lambda/<name>`` log group)."""
    return physical_name(purpose, suffix, "lambda")


def default_tags(*, project: str, environment: str, blueprint: str) -> dict[str, str]:
    """Tags every resource carries, applied once on the provider's default_tags."""
    return {
        "Project": project,
        "Environment": environment,
        "Blueprint": blueprint,
        "ManagedBy": "pulumi",
    }
