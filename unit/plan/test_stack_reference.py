"""StackReference offline: another stack's outputs are unknowable, and the plan says so."""

from __future__ import annotations

import pulumi
import pytest

from unit.conftest import capture_fn


def test_a_stack_reference_is_read_with_no_outputs_and_a_warning() -> None:
    seen: dict[str, object] = {}

    def program() -> None:
        ref = pulumi.StackReference("net", stack_name="org/network/prod")
        ref.get_output("vpcId").apply(lambda value: seen.setdefault("vpcId", value))

    graph = capture_fn(program)
    assert seen == {"vpcId": None}
    assert "StackReference org/network/prod: the offline plan cannot read its outputs" in graph.warnings


def test_a_required_output_fails_the_program_by_its_name() -> None:
    def program() -> None:
        ref = pulumi.StackReference("net", stack_name="org/network/prod")
        pulumi.export("vpc", ref.require_output("vpcId"))

    with pytest.raises(Exception, match="vpcId"):
        capture_fn(program)
