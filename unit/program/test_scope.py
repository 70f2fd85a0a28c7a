"""Scope: one (suffix, account, region) value, and the names it gives."""

from __future__ import annotations

import pytest

from program.scope import EDGE_REGION, Scope

SCOPE = Scope("dev", "123456789012", "us-west-2")


def test_names_end_with_the_suffix_and_buckets_carry_the_account() -> None:
    assert SCOPE.name("api", "lambda") == "api-dev"
    assert SCOPE.name("vpc-endpoints", "security-group") == "vpc-endpoints-dev"
    assert SCOPE.bucket_name("results") == "results-123456789012-dev"


def test_the_edge_is_us_east_1_for_the_same_stack() -> None:
    edge = SCOPE.at(EDGE_REGION)
    assert edge == Scope("dev", "123456789012", "us-east-1")
    assert SCOPE.region == "us-west-2"  # frozen: at() is a copy


def test_a_bad_suffix_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="suffix 'Dev'"):
        Scope("Dev", "123456789012", "us-west-2").name("api")
