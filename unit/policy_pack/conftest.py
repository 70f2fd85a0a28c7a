"""Run one policy in-process the way the pack's Analyzer servicer does (props proxied for unknowns),
and run the real pack over the Analyzer protocol with one pack process per test session.

Starting the pack (a Python process importing pulumi, grpc and the IAM action database) costs more
than judging a graph, so the wire and mutation tests share running packs: :func:`running_packs`
starts one per distinct engine environment (stack config, project, stack, preview: what the engine
hands a pack when it starts it) on first use, reuses it for every later graph, and stops them all
when the session ends. Under pytest-xdist that is one pack per worker. :func:`captured` captures
each example stack's program once per session for the tests that judge blueprint graphs.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import pytest
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.policy import _NotApplicableError
from pulumi_policy.proxy import UnknownValueError, unknown_checking_proxy

from plan import gate
from plan.capture import Graph
from plan.project import StackSpec
from unit.conftest import REPO_ROOT, capture_stack

PACK = REPO_ROOT / "policy_pack"

# The engine's marker for a value not known until the update (what `--preview` sends).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass
class Outcome:
    messages: list[str] = field(default_factory=list)
    urns: list[str | None] = field(default_factory=list)
    not_applicable: str | None = None
    unknown: bool = False

    @property
    def ok(self) -> bool:
        return not self.messages and not self.unknown


def options(
    protect: bool = False, delete_seconds: float = 0, ignore_changes: list[str] | None = None
) -> PolicyResourceOptions:
    return PolicyResourceOptions(
        protect, ignore_changes or [], None, [], PolicyCustomTimeouts(0, 0, delete_seconds), [], None
    )


def config_of(
    policy: ResourceValidationPolicy | StackValidationPolicy, config: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The policy's schema defaults overlaid with ``config``, as the engine configures it."""
    schema = policy.config_schema.properties if policy.config_schema else {}
    merged = {key: spec["default"] for key, spec in schema.items() if "default" in spec}
    merged.update(config or {})
    return merged


def _props(props: Mapping[str, Any]) -> Any:
    return unknown_checking_proxy(deserialize_properties(dict(props)))


def run_resource(
    policy: ResourceValidationPolicy,
    resource_type: str,
    props: Mapping[str, Any],
    *,
    name: str = "subject",
    config: Mapping[str, Any] | None = None,
    opts: PolicyResourceOptions | None = None,
) -> Outcome:
    urn = f"urn:pulumi:dev::webstack::{resource_type}::{name}"
    args = ResourceValidationArgs(
        resource_type, _props(props), urn, name, opts or options(), None, config_of(policy, config)
    )
    return _validate(policy, args)


def resource(
    resource_type: str,
    props: Mapping[str, Any],
    name: str = "subject",
    deps: Mapping[str, list[PolicyResource]] | None = None,
    opts: PolicyResourceOptions | None = None,
    region: str | None = None,
) -> PolicyResource:
    """A resource as a stack policy sees it: outputs, property dependencies on others, and (with
    ``region``) the aws provider that creates it."""
    urn = f"urn:pulumi:dev::webstack::{resource_type}::{name}"
    provider = (
        PolicyProviderResource(
            "pulumi:providers:aws",
            {"region": region},
            f"urn:pulumi:dev::webstack::pulumi:providers:aws::{region}",
            region,
        )
        if region
        else None
    )
    return PolicyResource(
        resource_type, _props(props), urn, name, opts or options(), provider, None, [], dict(deps or {})
    )


def run_stack(
    policy: StackValidationPolicy, resources: list[PolicyResource], config: Mapping[str, Any] | None = None
) -> Outcome:
    return _validate(policy, StackValidationArgs(resources, config_of(policy, config)))


def _validate(
    policy: ResourceValidationPolicy | StackValidationPolicy,
    args: ResourceValidationArgs | StackValidationArgs,
) -> Outcome:
    """Run the policy as the servicer does: findings, not-applicable, or unknown in preview."""
    outcome = Outcome()
    try:
        policy.validate(
            args, lambda message, urn=None: (outcome.messages.append(message), outcome.urns.append(urn))
        )
    except _NotApplicableError as error:
        outcome.not_applicable = error.reason
    except UnknownValueError:
        outcome.unknown = True
    return outcome


class RunningPacks:
    """The real pack, started once per engine environment and reused for every graph judged in it."""

    def __init__(self, stack: ExitStack) -> None:
        self._stack = stack
        self._stubs: dict[str, Any] = {}
        self.starts = 0

    def analyze(
        self, graph: Graph, spec: StackSpec, policy_config: Mapping[str, Any] | None = None
    ) -> gate.Verdict:
        """What ``plan.gate.analyze(graph, spec, PACK, policy_config)`` returns, from a running pack."""
        environment = {
            "config": spec.config,
            "secret": sorted(spec.secret_keys),
            "project": spec.project,
            "stack": spec.stack,
            "preview": graph.preview,
        }
        key = json.dumps(environment, sort_keys=True)
        if key not in self._stubs:
            self._stubs[key] = self._stack.enter_context(gate.running_pack(PACK, spec, graph.preview))
            self.starts += 1
        # gate.analyze minus the start: the same ConfigureStack, Configure (every analysis sets every
        # policy's level and config afresh), Analyze and AnalyzeStack calls.
        user = dict(policy_config or {})
        retain = str(user.pop(gate.RETAIN_POLICY, "mandatory"))
        return gate._analyze(self._stubs[key], graph, spec, user, retain)


@pytest.fixture(scope="session")
def running_packs() -> Iterator[RunningPacks]:
    with ExitStack() as stack:
        yield RunningPacks(stack)


@pytest.fixture(scope="session")
def captured() -> Callable[[str], Graph]:
    """A stack's captured graph, run once per session: callers copy it before changing it."""
    return functools.cache(lambda stack: capture_stack(stack))
