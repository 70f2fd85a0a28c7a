"""Secrets family (advisory): secrets rotate, and none sits in plain configuration.

Every Secrets Manager secret has a SecretRotation (matched through `secretId`'s property
dependency). Secrets RDS manages itself (`manageMasterUserPassword`, 004-R14) are not Secret
resources of the stack and rotate on RDS's schedule, so they are out of scope here.

No Lambda environment variable and no ECS container `environment` entry holds a secret: a name
that looks like one (PASSWORD, SECRET, TOKEN, API_KEY, PRIVATE_KEY, CREDENTIAL) must carry a
reference, not the value: a name ending in _ARN/_NAME/_ID/_PARAM/_PARAMETER/_PATH, or a value that
is an ARN or a `{{resolve:...}}` reference. ECS containers should use `secrets` (valueFrom) instead
(004-R28). Pulumi secrets arrive here as plain values, so the name decides first and a value is
read only when the name does not already say it is a reference.

Databases authenticate clients with IAM rather than a shared password: an RDS Proxy requires IAM
authentication on every auth entry (`auths[].iamAuth` REQUIRED, 002-R9), and Aurora clusters and
RDS instances enable IAM database authentication (FSBP RDS.10/RDS.12).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from pulumi_policy import PolicyResource, ResourceValidationArgs, Severity, StackValidationArgs

from ._base import ADVISORY, Anchors, as_list, resource_policy, stack_policy
from ._relations import (
    DB_CLUSTER,
    DB_INSTANCE,
    DB_PROXY,
    FUNCTION,
    TASK_DEFINITION,
    containers,
    dig,
    state_of,
    unreferenced,
)

SECRET = "aws:secretsmanager/secret:Secret"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
SECRET_NAME = re.compile(r"PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|CREDENTIAL", re.IGNORECASE)
REFERENCE_NAME = re.compile(r"_(ARN|NAME|ID|PARAM|PARAMETER|PATH)$", re.IGNORECASE)
REFERENCE_VALUE = ("arn:", "{{resolve:")


def _rotating(rotation: PolicyResource) -> bool:
    # Absent rotationEnabled: rotation is on once rotationRules are set.
    return rotation.props.get("rotationEnabled") is not False


def _check_rotation(args: StackValidationArgs) -> Iterator[tuple[str, str]]:
    for secret in unreferenced(args.resources, [SECRET], [SECRET_ROTATION], "secretId", _rotating):
        yield (
            secret.urn,
            "never rotates. Add secretsmanager.SecretRotation(secret_id=secret.id, rotation_lambda_arn=..., "
            "rotation_rules.automatically_after_days=30).",
        )


def holds_secret(name: str, read_value: Any) -> bool:
    """Whether an environment entry looks like a literal secret; ``read_value()`` reads it lazily."""
    if not SECRET_NAME.search(name) or REFERENCE_NAME.search(name):
        return False
    value = read_value()
    return bool(value) and not str(value).startswith(REFERENCE_VALUE)


def _lambda_findings(props: Mapping[str, Any]) -> Iterator[str]:
    variables = dig(props, "environment", "variables") or {}
    for name in variables:
        if holds_secret(str(name), lambda name=name: variables[name]):
            yield (
                f"environment.variables.{name} holds a secret in plain text (readable by anyone who can "
                "read the function's configuration). Store it in Secrets Manager or SSM SecureString and "
                f"pass its ARN instead (e.g. {name}_ARN); the function reads it at start."
            )


def _ecs_findings(props: Mapping[str, Any]) -> Iterator[str]:
    for container, definition in containers(props):
        for entry in as_list(definition.get("environment")):
            name = str(entry.get("name", ""))
            if holds_secret(name, lambda entry=entry: entry.get("value")):
                yield (
                    f"container {container} passes {name} in `environment` in plain text. Move it to the "
                    "container's `secrets` with valueFrom a Secrets Manager or SSM parameter ARN (004-R28)."
                )


def _check_plaintext(args: ResourceValidationArgs) -> Iterator[str]:
    if args.resource_type == FUNCTION:
        yield from _lambda_findings(args.props)
    else:
        yield from _ecs_findings(args.props)


def _check_iam_auth(args: ResourceValidationArgs) -> Iterator[str]:
    if args.resource_type == DB_PROXY:
        for index, auth in enumerate(as_list(args.props.get("auths"))):
            # Absent: DISABLED, clients log in with the secret's password.
            iam = dig(auth, "iamAuth")
            if iam != "REQUIRED":
                yield (
                    f"auths[{index}].iamAuth is {state_of(iam)} (absent means DISABLED), so clients "
                    "log in to the proxy with the database password. Set iamAuth='REQUIRED' and let "
                    "the client role call rds-db:connect on the proxy's dbuser ARN."
                )
        return
    enabled = args.props.get("iamDatabaseAuthenticationEnabled")
    if enabled is not True:  # absent: false
        yield (
            f"iamDatabaseAuthenticationEnabled is {state_of(enabled)}, so only password logins are "
            "possible. Set iamDatabaseAuthenticationEnabled=True and grant rds-db:connect to the "
            "roles that connect."
        )


secret_rotation = stack_policy(
    "secrets-rotation",
    "Every Secrets Manager secret has an enabled SecretRotation.",
    _check_rotation,
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Add secretsmanager.SecretRotation(secret_id=secret.id, rotation_rules=...).",
    anchors=Anchors(cdk_nag=("AwsSolutions-SMG4",), checkov=("CKV2_AWS_57",), fsbp=("SecretsManager.1",)),
)

no_plaintext_env = resource_policy(
    "secrets-no-plaintext-env",
    "No secret-looking Lambda environment variable or ECS container environment entry holds a literal value.",
    _check_plaintext,
    types=[FUNCTION, TASK_DEFINITION],
    level=ADVISORY,
    severity=Severity.HIGH,
    remediation="Keep the value in Secrets Manager/SSM; pass its ARN (Lambda) or use `secrets` (ECS).",
    anchors=Anchors(cdk_nag=("AwsSolutions-ECS2",), checkov=("CKV_AWS_45",), fsbp=("ECS.8",)),
)

iam_database_auth = resource_policy(
    "secrets-rds-iam-auth",
    "RDS proxies require IAM authentication (auths[].iamAuth REQUIRED); Aurora clusters and RDS "
    "instances enable IAM database authentication.",
    _check_iam_auth,
    types=[DB_PROXY, DB_CLUSTER, DB_INSTANCE],
    level=ADVISORY,
    severity=Severity.MEDIUM,
    remediation="Set iam_auth='REQUIRED' on each rds.Proxy auth and iam_database_authentication_enabled=True "
    "on rds.Cluster / rds.Instance; grant rds-db:connect to the connecting roles.",
    anchors=Anchors(checkov=("CKV_AWS_162", "CKV_AWS_161"), fsbp=("RDS.12", "RDS.10")),
)

POLICIES = [secret_rotation, no_plaintext_env, iam_database_auth]
