"""Issue 9 B: every name and value check in program/ matches the whole value.

With ``re.match(r"^...$")`` a value ending in a newline passes (``$`` matches before a final
newline). Each check below is fed a valid value, which passes, and the same value plus "\\n",
which must be refused.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from program import naming
from program.components import cdn_functions, rest_routes
from program.components.cdn_origins import CdnOrigin
from program.components.firewall import Peer
from program.components.waf import WebAclArgs
from program.scope import Scope

SCOPE = Scope("dev", "123456789012", "us-west-2")


def suffix(value: str) -> None:
    problem = naming.validate_suffix(value)
    if problem:
        raise ValueError(problem)


def purpose(value: str) -> None:
    naming.physical_name(value, "dev")


def stage(value: str) -> None:
    rest_routes.check_shape(rest_routes.ITEM_ROUTES, value)


def path_prefix(value: str) -> None:
    if not cdn_functions.is_path_prefix(value):
        raise ValueError(value)


def peer_label(value: str) -> None:
    Peer.cidr("10.0.0.0/16", value)


def origin_id(value: str) -> None:
    CdnOrigin(id=value, domain_name="example.com", path_pattern="/api/*")


def header(value: str) -> None:
    CdnOrigin(id="api", domain_name="example.com", path_pattern="/api/*", custom_headers=[(value, "x")])


def waf_description(value: str) -> None:
    WebAclArgs(purpose="api", scope=SCOPE, description=value)


CHECKS: list[tuple[str, Callable[[str], None], str]] = [
    ("environment suffix", suffix, "dev"),
    ("purpose", purpose, "api"),
    ("stage name", stage, "v1"),
    ("CloudFront path prefix", path_prefix, "/api"),
    ("security group peer label", peer_label, "endpoints"),
    ("CloudFront origin id", origin_id, "api"),
    ("origin custom header", header, "x-origin-verify"),
    ("web ACL description", waf_description, "Items API stage"),
]


@pytest.mark.parametrize(("what", "check", "valid"), CHECKS, ids=[c[0] for c in CHECKS])
def test_a_valid_value_passes_and_the_same_with_a_final_newline_does_not(
    what: str, check: Callable[[str], None], valid: str
) -> None:
    check(valid)
    with pytest.raises(ValueError):
        check(valid + "\n")


def test_a_web_acl_description_takes_spaces_but_no_tab_or_inner_newline() -> None:
    waf_description("Items API - CloudFront only")
    for bad in ("Items\tAPI", "Items\nAPI"):
        with pytest.raises(ValueError, match="description"):
            waf_description(bad)
