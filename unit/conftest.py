"""Shared fixtures: blueprint graphs captured once per session, and ad-hoc program capture."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from plan.capture import Graph, capture, new_monitor, run_program
from plan.project import StackSpec, load_stack

if TYPE_CHECKING:
    from program.components.function import VpcPlacement

REPO_ROOT = Path(__file__).resolve().parent.parent
# Lambda puts the zip root on sys.path, where the packager adds lambdas/shared as `shared/`: every
# test that loads a handler (Lambda tests, probe self-tests with the real handlers) sees the same.
if str(REPO_ROOT / "lambdas") not in sys.path:
    sys.path.insert(0, str(REPO_ROOT / "lambdas"))


def stack_spec(stack: str, **config: str) -> StackSpec:
    """This repo's example stack, with config keys (``namespace:key``) overridden."""
    spec = load_stack(REPO_ROOT, stack)
    if not config:
        return spec
    merged = {**spec.config, **config}
    return StackSpec(spec.project, spec.stack, spec.project_dir, spec.main_dir, merged, spec.secret_keys)


def capture_stack(stack: str, preview: bool = False, **config: str) -> Graph:
    return capture(stack_spec(stack, **config), preview=preview)


def capture_fn(
    program: Callable[[], object], config: Mapping[str, str] | None = None, preview: bool = False
) -> Graph:
    """Capture a callable as if it were a program (to test one component with chosen args)."""
    values = {"aws:region": "us-west-2", **(config or {})}
    monitor = new_monitor("test", "unit", values, preview)
    return run_program(program, monitor, config=values, preview=preview)


@pytest.fixture(scope="session")
def serverless_graph() -> Graph:
    return capture_stack("serverless-dev")


def built_stacks() -> list[str]:
    """Example stacks (Pulumi.<stack>.yaml) whose blueprint exists: what every graph-wide test covers."""
    from tools.stacks import built_blueprints

    built = built_blueprints()

    stacks = []
    for path in sorted(REPO_ROOT.glob("Pulumi.*.yaml")):
        stack = path.name[len("Pulumi.") : -len(".yaml")]
        if load_stack(REPO_ROOT, stack).config.get("webstack:blueprint") in built:
            stacks.append(stack)
    return stacks


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    """moto's threaded server on 127.0.0.1 (a free port), one per test module, stopped after it."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def vpc_placement(
    tier: str = "fn",
    prefix_lists: Mapping[str, str] | None = None,
    endpoint_group: str | None = "sg-0endpoints",
    subnets: Sequence[str] = ("subnet-0aaa", "subnet-0bbb"),
) -> VpcPlacement:
    """What a blueprint gives a VPC tier: its own Firewall, HTTPS egress to the named endpoints.

    Call it inside a captured program (it registers the tier's Firewall).
    """
    from program.components.firewall import Firewall, FirewallArgs, Peer, Rule
    from program.components.function import VpcPlacement
    from program.scope import Scope

    group = Firewall(
        f"{tier}-sg",
        FirewallArgs(tier, Scope("dev", "123456789012", "us-west-2"), f"tier {tier}", "vpc-0123"),
    )
    egress = [
        Rule(Peer.prefix_list(label, pl), 443, "HTTPS to a VPC endpoint")
        for label, pl in (prefix_lists or {"dynamodb": "pl-00ddb"}).items()
    ]
    if endpoint_group is not None:
        egress.append(Rule(Peer.group("endpoints", endpoint_group), 443, "HTTPS to a VPC endpoint"))
    return VpcPlacement(
        vpc_id="vpc-0123",
        subnet_ids=list(subnets),
        security_group=group,
        egress=egress,
    )
