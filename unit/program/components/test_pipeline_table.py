"""PipelineTable arguments (003-R8, R9): capacities within the per-table quota."""

from __future__ import annotations

import pytest

from program.components.pipeline_table import PipelineTableArgs, table_name
from program.scope import Scope

SCOPE = Scope("dev", "123456789012", "us-east-1")


def test_003_R8_default_capacity_is_the_seeds_and_the_gsi_has_its_own() -> None:
    args = PipelineTableArgs(scope=SCOPE)
    assert (args.read_capacity, args.write_capacity) == (5000, 5000)
    assert (args.index_read_capacity, args.index_write_capacity) == (1000, 1000)
    assert table_name("aggregates", SCOPE) == "aggregates-dev"


@pytest.mark.parametrize(
    "field", ["read_capacity", "write_capacity", "index_read_capacity", "index_write_capacity"]
)
@pytest.mark.parametrize("value", [0, 40_001])
def test_003_R9_capacities_outside_1_to_40000_are_refused(field: str, value: int) -> None:
    with pytest.raises(ValueError, match=f"{field} {value}: give 1 to 40000"):
        PipelineTableArgs(scope=SCOPE, **{field: value})  # type: ignore[arg-type]


def test_003_R5_the_quota_needed_is_five_reservations_plus_the_unreserved_hundred() -> None:
    from program.blueprints.stream_pipeline import concurrency_needed

    assert concurrency_needed(100) == 600
    assert concurrency_needed(2) == 110
