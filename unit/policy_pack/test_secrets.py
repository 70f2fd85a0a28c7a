"""Secrets family: rotation through property dependencies; no literal secret in configuration."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy import EnforcementLevel, PolicyResource

from policy_pack.policies import secrets
from unit.policy_pack import baselines as base
from unit.policy_pack.baselines import assert_sdk_input
from unit.policy_pack.conftest import UNKNOWN, resource, run_resource, run_stack

SECRET_ARN = "arn:aws:secretsmanager:us-west-2:123456789012:secret:db-dev-AbCdEf"


@pytest.mark.parametrize("policy", secrets.POLICIES, ids=lambda p: p.name)
def test_metadata(policy: Any) -> None:
    assert policy.name.startswith("secrets-")
    assert policy.enforcement_level == EnforcementLevel.ADVISORY
    assert policy.description and policy.remediation_steps
    assert policy.tags or policy.framework.name == "webstack"


# -- secrets-rotation ------------------------------------------------------------------------


def secret() -> PolicyResource:
    return resource(secrets.SECRET, {"name": "db-dev", "recoveryWindowInDays": 0}, "db")


def rotation(target: PolicyResource, **props: Any) -> PolicyResource:
    base = {"secretId": UNKNOWN, "rotationRules": {"automaticallyAfterDays": 30}}
    return resource(secrets.SECRET_ROTATION, base | props, "rotation", deps={"secretId": [target]})


@pytest.mark.parametrize("enabled", [{}, {"rotationEnabled": True}], ids=["default", "explicit"])
def test_secret_with_rotation_passes(enabled: dict[str, Any]) -> None:
    s = secret()
    assert run_stack(secrets.secret_rotation, [s, rotation(s, **enabled)]).ok


def test_secret_without_rotation_is_a_finding() -> None:
    s = secret()
    outcome = run_stack(secrets.secret_rotation, [s])
    assert outcome.urns == [s.urn] and "never rotates" in outcome.messages[0]


def test_disabled_rotation_is_a_finding() -> None:
    s = secret()
    assert run_stack(secrets.secret_rotation, [s, rotation(s, rotationEnabled=False)]).urns == [s.urn]


def test_unknown_rotation_flag_in_preview_is_unknown() -> None:
    s = secret()
    assert run_stack(secrets.secret_rotation, [s, rotation(s, rotationEnabled=UNKNOWN)]).unknown


# -- secrets-no-plaintext-env: Lambda --------------------------------------------------------


def function(**variables: Any) -> dict[str, Any]:
    base = {"TABLE_NAME": "items-dev", "DB_SECRET_ARN": SECRET_ARN, "LOG_LEVEL": "INFO"}
    return {"name": "api-dev", "runtime": "python3.13", "environment": {"variables": base | variables}}


def test_lambda_environment_with_references_only_passes() -> None:
    assert run_resource(secrets.no_plaintext_env, secrets.FUNCTION, function()).ok
    assert run_resource(secrets.no_plaintext_env, secrets.FUNCTION, {"name": "api-dev"}).ok


@pytest.mark.parametrize(
    "name", ["DB_PASSWORD", "stripe_api_key", "GITHUB_TOKEN", "JWT_SECRET", "PRIVATE_KEY"]
)
def test_literal_secret_in_lambda_environment_is_a_finding(name: str) -> None:
    (message,) = run_resource(
        secrets.no_plaintext_env, secrets.FUNCTION, function(**{name: "hunter2"})
    ).messages
    assert f"environment.variables.{name} holds a secret in plain text" in message


@pytest.mark.parametrize(
    "variables",
    [
        {"API_KEY": SECRET_ARN},
        {"GITHUB_TOKEN": "{{resolve:ssm-secure:/github/token}}"},
        {"DB_PASSWORD_PARAM": "/db/password"},
        {"DB_PASSWORD": ""},
    ],
)
def test_references_and_empty_values_are_not_secrets(variables: dict[str, Any]) -> None:
    assert run_resource(secrets.no_plaintext_env, secrets.FUNCTION, function(**variables)).ok


def test_reference_named_variable_is_not_read_so_an_unknown_arn_passes() -> None:
    props = function(DB_SECRET_ARN=UNKNOWN, API_TOKEN_NAME=UNKNOWN)
    assert run_resource(secrets.no_plaintext_env, secrets.FUNCTION, props).ok


def test_unknown_value_of_a_secret_named_variable_in_preview_is_unknown() -> None:
    assert run_resource(secrets.no_plaintext_env, secrets.FUNCTION, function(DB_PASSWORD=UNKNOWN)).unknown


def test_literal_secret_is_caught_when_other_variables_are_unknown() -> None:
    props = function(TABLE_NAME=UNKNOWN, DB_PASSWORD="hunter2")
    outcome = run_resource(secrets.no_plaintext_env, secrets.FUNCTION, props)
    assert len(outcome.messages) == 1 and not outcome.unknown


# -- secrets-no-plaintext-env: ECS -----------------------------------------------------------


def task(environment: list[dict[str, Any]], as_string: bool = True) -> dict[str, Any]:
    container = {
        "name": "api",
        "image": "123456789012.dkr.ecr.ap-southeast-1.amazonaws.com/api:abc123",
        "environment": [{"name": "DB_HOST", "value": "proxy.local"}, *environment],
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": f"{SECRET_ARN}:password::"}],
    }
    return {
        "family": "api-dev",
        "containerDefinitions": json.dumps([container]) if as_string else [container],
    }


@pytest.mark.parametrize("as_string", [True, False], ids=["json-string", "list"])
def test_004_R28_container_secrets_through_value_from_pass(as_string: bool) -> None:
    assert run_resource(secrets.no_plaintext_env, secrets.TASK_DEFINITION, task([], as_string)).ok


@pytest.mark.parametrize("as_string", [True, False], ids=["json-string", "list"])
def test_004_R28_password_in_container_environment_is_a_finding(as_string: bool) -> None:
    props = task([{"name": "DB_PASSWORD", "value": "hunter2"}], as_string)
    (message,) = run_resource(secrets.no_plaintext_env, secrets.TASK_DEFINITION, props).messages
    assert "container api passes DB_PASSWORD in `environment`" in message


def test_unknown_container_definitions_in_preview_are_unknown() -> None:
    props = {"family": "api-dev", "containerDefinitions": UNKNOWN}
    assert run_resource(secrets.no_plaintext_env, secrets.TASK_DEFINITION, props).unknown


# -- secrets-rds-iam-auth (RDS Proxy, Aurora cluster, RDS instance) --------------------------


@pytest.mark.parametrize(
    ("token", "prop"),
    [
        (base.DB_PROXY, "auths"),
        (base.DB_CLUSTER, "iamDatabaseAuthenticationEnabled"),
        (base.DB_INSTANCE, "iamDatabaseAuthenticationEnabled"),
    ],
)
def test_the_iam_auth_properties_are_sdk_inputs(token: str, prop: str) -> None:
    assert_sdk_input(token, prop)


def test_002_R9_proxy_requiring_iam_auth_passes() -> None:
    assert run_resource(secrets.iam_database_auth, base.DB_PROXY, base.db_proxy_props("catalog")).ok


@pytest.mark.parametrize(("iam", "shown"), [("DISABLED", "'DISABLED'"), (None, "not set")])
def test_proxy_auth_without_iam_is_a_finding(iam: Any, shown: str) -> None:
    props = base.db_proxy_props("catalog", {"auths.0.iamAuth": iam})
    (message,) = run_resource(secrets.iam_database_auth, base.DB_PROXY, props).messages
    assert message.startswith(f"auths[0].iamAuth is {shown}") and "iamAuth='REQUIRED'" in message


def test_aurora_cluster_with_iam_database_auth_passes() -> None:
    assert run_resource(secrets.iam_database_auth, base.DB_CLUSTER, base.db_cluster_props("catalog")).ok


@pytest.mark.parametrize("token", [base.DB_CLUSTER, base.DB_INSTANCE])
@pytest.mark.parametrize("flag", [False, None])
def test_database_without_iam_auth_is_a_finding(token: str, flag: Any) -> None:
    props = base.db_cluster_props("catalog", {"iamDatabaseAuthenticationEnabled": flag})
    (message,) = run_resource(secrets.iam_database_auth, token, props).messages
    assert "iamDatabaseAuthenticationEnabled=True" in message


@pytest.mark.parametrize(
    ("token", "change"),
    [
        (base.DB_PROXY, {"auths.0.iamAuth": UNKNOWN}),
        (base.DB_CLUSTER, {"iamDatabaseAuthenticationEnabled": UNKNOWN}),
    ],
)
def test_unknown_iam_auth_in_preview_is_unknown(token: str, change: dict[str, Any]) -> None:
    props = (base.db_proxy_props if token == base.DB_PROXY else base.db_cluster_props)("catalog", change)
    assert run_resource(secrets.iam_database_auth, token, props).unknown


# -- over the wire: this family's cases in the one graph the real pack judges ---------------


def wire_cases(cat: base.Catalog) -> None:
    """This family's violators and controls in the graph the real pack judges over the wire
    (test_every_policy_over_the_wire.py): each a shared baseline with one thing changed."""
    base.secret(cat, "db")  # control
    # secrets-rotation: the SecretRotation reports rotation disabled
    static = base.secret(cat, "static-secret", rotation_enabled=False)
    cat.expect("secrets-rotation", static, "never rotates")
    # secrets-no-plaintext-env: a password in a Lambda variable and in a container's environment
    leaky_env = {"environment.variables": {"TABLE_NAME": base.physical("orders"), "DB_PASSWORD": "hunter2"}}
    base.function(cat, "leaky", change=leaky_env, violates=["secrets-no-plaintext-env"])
    leaky_container = {"environment": [{"name": "API_TOKEN", "value": "tok-123"}]}
    base.task_definition(cat, "leaky-task", container=leaky_container, violates=["secrets-no-plaintext-env"])
    # secrets-rds-iam-auth: a proxy that accepts passwords, and a cluster without IAM auth
    base.db_proxy(
        cat, "password-proxy", change={"auths.0.iamAuth": "DISABLED"}, violates=["secrets-rds-iam-auth"]
    )
    base.db_cluster(
        cat,
        "password-db",
        change={"iamDatabaseAuthenticationEnabled": False},
        violates=["secrets-rds-iam-auth"],
    )
