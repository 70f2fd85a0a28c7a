"""program.naming: every name ends with -<suffix> and fits its AWS type (002-R46, 003-R31, 004-R33)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from program import naming

suffixes = st.from_regex(r"[a-z0-9]{1,5}(-[a-z0-9]{1,4}){0,2}", fullmatch=True).filter(
    lambda s: len(s) <= naming.MAX_SUFFIX_LENGTH
)
purposes = st.from_regex(r"[a-z][a-z0-9]{0,20}(-[a-z0-9]{1,12}){0,4}", fullmatch=True)
kinds = st.sampled_from(sorted(naming.RULES))


def test_short_name_is_purpose_dash_suffix() -> None:
    assert naming.physical_name("api", "dev", "lambda") == "api-dev"


def test_bucket_name_carries_the_account_for_global_uniqueness() -> None:
    assert (
        naming.physical_name("site", "dev", "s3-bucket", account_id="123456789012") == "site-123456789012-dev"
    )


def test_long_purpose_is_shortened_with_a_digest_and_keeps_the_suffix() -> None:
    name = naming.physical_name("catalog-application-load-balancer", "pr-1234", "alb")
    assert len(name) <= 32
    assert name.endswith("-pr-1234")
    assert name != naming.physical_name("catalog-application-load-balancer-two", "pr-1234", "alb")


@given(purpose=purposes, suffix=suffixes, kind=kinds)
def test_002_R46_every_name_ends_with_suffix_and_fits_its_limit(purpose: str, suffix: str, kind: str) -> None:
    name = naming.physical_name(purpose, suffix, kind)
    rule = naming.RULES[kind]
    assert name.endswith(f"-{suffix}")
    assert rule.min_length <= len(name) <= rule.max_length
    assert rule.allowed.match(name)


@given(purpose=purposes, suffix=suffixes)
def test_bucket_names_are_valid_s3_names_for_any_purpose(purpose: str, suffix: str) -> None:
    name = naming.physical_name(purpose, suffix, "s3-bucket", account_id="123456789012")
    assert 3 <= len(name) <= 63
    assert name == name.lower()
    assert name.endswith(f"-{suffix}")


@given(a=purposes, b=purposes, suffix=suffixes)
def test_distinct_purposes_never_collide_after_shortening(a: str, b: str, suffix: str) -> None:
    if a != b:
        assert naming.physical_name(a, suffix, "alb") != naming.physical_name(b, suffix, "alb")


@pytest.mark.parametrize(
    ("suffix", "problem"),
    [
        ("", "empty"),
        ("Dev", "lowercase"),
        ("dev_1", "lowercase"),
        ("-dev", "not at either end"),
        ("dev--x", "single hyphens"),
        ("a" * 17, "at most 16"),
    ],
)
def test_bad_suffixes_are_explained(suffix: str, problem: str) -> None:
    reason = naming.validate_suffix(suffix)
    assert reason is not None and problem in reason


def test_bad_purpose_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="purpose"):
        naming.physical_name("Bad_Purpose", "dev")


def test_default_tags_name_project_environment_blueprint_and_tool() -> None:
    assert naming.default_tags(project="webstack", environment="dev", blueprint="serverless-app") == {
        "Project": "webstack",
        "Environment": "dev",
        "Blueprint": "serverless-app",
        "ManagedBy": "pulumi",
    }
