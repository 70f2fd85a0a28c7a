"""What every webstack policy shares: anchors, exemptions, config, and the two policy shapes.

A family module writes each rule as a small pure function over a resource's props (or over all
resources, for a stack rule) that yields one message per finding, and wraps it with
:func:`resource_policy` or :func:`stack_policy`. The wrappers add the metadata (severity,
remediation, anchor rules), the `exemptions` config every policy takes, and the plumbing.

Props arrive with the engine's camelCase names. A rule reads them through the SDK's proxy: reading
a value that is unknown during preview raises, which the SDK turns into one advisory "can't run
policy during preview" diagnostic, so rules read only the values they decide on.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

MANDATORY, ADVISORY = EnforcementLevel.MANDATORY, EnforcementLevel.ADVISORY

CDK_NAG_RULES = "https://github.com/cdklabs/cdk-nag/blob/main/RULES.md"
CHECKOV_RULES = "https://www.checkov.io/5.Policy%20Index/terraform.html"
FSBP_CONTROLS = "https://docs.aws.amazon.com/securityhub/latest/userguide/fsbp-standard.html"

EXEMPTIONS_SCHEMA: dict[str, Any] = {
    "type": "array",
    "description": "Resources this policy skips, each with the reason the plan report prints.",
    "items": {
        "type": "object",
        "properties": {
            "resource": {"type": "string", "description": "a URN, or a glob over URN or name"},
            "reason": {"type": "string", "minLength": 10},
        },
        "required": ["resource", "reason"],
    },
    "default": [],
}


@dataclass(frozen=True)
class Anchors:
    """The rules of other tools this policy corresponds to, so a reviewer can trace it."""

    cdk_nag: tuple[str, ...] = ()
    checkov: tuple[str, ...] = ()
    fsbp: tuple[str, ...] = ()
    note: str = ""

    def tags(self) -> list[str]:
        return (
            [f"cdk-nag:{rule}" for rule in self.cdk_nag]
            + [f"checkov:{rule}" for rule in self.checkov]
            + [f"fsbp:{rule}" for rule in self.fsbp]
        )

    def framework(self) -> PolicyComplianceFramework:
        if self.cdk_nag:
            return PolicyComplianceFramework(name="cdk-nag", reference=self.cdk_nag[0])
        if self.checkov:
            return PolicyComplianceFramework(name="checkov", reference=self.checkov[0])
        if self.fsbp:
            return PolicyComplianceFramework(name="aws-fsbp", reference=self.fsbp[0])
        return PolicyComplianceFramework(name="webstack", reference=self.note or "webstack")

    def url(self) -> str:
        if self.cdk_nag:
            return CDK_NAG_RULES
        if self.checkov:
            return CHECKOV_RULES
        return FSBP_CONTROLS


def exemption_for(config: Mapping[str, Any] | None, urn: str, name: str) -> Mapping[str, Any] | None:
    """The first exemption in a policy's config that matches this resource, if any."""
    for exemption in (config or {}).get("exemptions") or []:
        pattern = str(exemption.get("resource", ""))
        if pattern and (
            urn == pattern or fnmatch.fnmatchcase(urn, pattern) or fnmatch.fnmatchcase(name, pattern)
        ):
            return exemption
    return None


ResourceCheck = Callable[[ResourceValidationArgs], Iterable[str]]
StackCheck = Callable[[StackValidationArgs], Iterable[tuple[str, str]]]


def _metadata(anchors: Anchors, config: Mapping[str, dict[str, Any]] | None) -> dict[str, Any]:
    """What every policy carries besides its rule: anchor rules and the config schema."""
    return {
        "framework": anchors.framework(),
        "tags": anchors.tags(),
        "url": anchors.url(),
        "config_schema": PolicyConfigSchema(properties={"exemptions": EXEMPTIONS_SCHEMA, **(config or {})}),
    }


def resource_policy(
    name: str,
    description: str,
    check: ResourceCheck,
    *,
    types: Iterable[str] | None,
    level: EnforcementLevel,
    severity: Severity,
    remediation: str,
    anchors: Anchors,
    config: Mapping[str, dict[str, Any]] | None = None,
) -> ResourceValidationPolicy:
    """A policy over one resource at a time; ``check`` yields one message per finding."""
    wanted = frozenset(types) if types is not None else None

    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if wanted is not None and args.resource_type not in wanted:
            return
        exemption = exemption_for(args.get_config(), args.urn, args.name)
        if exemption is not None:
            args.not_applicable(f"exempted: {exemption['reason']}")
        for message in check(args):
            report(message, None)

    return ResourceValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=level,
        severity=severity,
        remediation_steps=remediation,
        **_metadata(anchors, config),
    )


def stack_policy(
    name: str,
    description: str,
    check: StackCheck,
    *,
    level: EnforcementLevel,
    severity: Severity,
    remediation: str,
    anchors: Anchors,
    config: Mapping[str, dict[str, Any]] | None = None,
) -> StackValidationPolicy:
    """A policy over the whole graph; ``check`` yields (urn, message) per finding."""

    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        names = {resource.urn: resource.name for resource in args.resources}
        for urn, message in check(args):
            if exemption_for(args.get_config(), urn, names.get(urn, "")) is None:
                report(message, urn)

    return StackValidationPolicy(
        name=name,
        description=description,
        validate=validate,
        enforcement_level=level,
        severity=severity,
        remediation_steps=remediation,
        **_metadata(anchors, config),
    )


# -- helpers for rules ------------------------------------------------------------------------


def as_list(value: Any) -> list[Any]:
    """IAM and many AWS fields take a single value or a list."""
    if value is None:
        return []
    return [value] if isinstance(value, (str, Mapping)) else list(value)


def parse_json(value: Any) -> Any:
    """A JSON document that may arrive as a string (typical) or already as an object."""
    return json.loads(value) if isinstance(value, str) else value


def of_type(resources: Iterable[PolicyResource], *types: str) -> list[PolicyResource]:
    return [r for r in resources if r.resource_type in types]


def referenced(resource: PolicyResource, prop: str) -> set[str]:
    """URNs of the resources that ``resource.prop`` was computed from (works in preview too)."""
    return {dep.urn for dep in resource.property_dependencies.get(prop, [])}


def stack_suffix(config: Mapping[str, Any] | None) -> str | None:
    """The environment suffix: the policy config's `suffix`, else the stack's webstack config."""
    configured = (config or {}).get("suffix")
    if configured:
        return str(configured)
    return pulumi.Config("webstack").get("environmentSuffix")
