"""Deploy-time model figures for every built example stack, beside the issue-12 targets.

Prints, per stack, the model's create and destroy wall time at the engine's default parallelism and
at --parallel 1, the predicted throttles that outlast the retry budget, and how long the model itself
takes to run. Every duration is the model's (plan/deploy_data.json), not a measurement; asserts
nothing (targets are read, not enforced).

Targets (issue 12): stream-dev create under 7 min with zero throttles outlasting the retry budget at
the default parallelism; the model itself well under a second per stack.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from plan import deploy_model  # noqa: E402
from plan.capture import capture  # noqa: E402
from plan.project import load_stack  # noqa: E402
from program.blueprints import BUILT  # noqa: E402

RUNS = 3  # best of: the machine is shared
CREATE_TARGET_S = 7 * 60  # issue 12, for stream-dev; shown for every stack as the yardstick
MODEL_FLOOR_S = 1.0


def main() -> None:
    table = Table(title=f"deploy-time model ({deploy_model.LABEL}), model run time best of {RUNS}")
    for column in (
        "stack",
        "resources",
        "parallel",
        "create s",
        "destroy s",
        "create s @1",
        "budget-exceeding throttles",
        "create target s",
        "model run s",
        "floor s",
    ):
        table.add_column(column, justify="left" if column == "stack" else "right")
    stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*.yaml"))
    for stack in stacks:
        spec = load_stack(ROOT, stack)
        if spec.config.get("webstack:blueprint") not in BUILT:
            continue
        graph = capture(spec)
        timings = []
        result: dict[str, object] = {}
        for _ in range(RUNS):
            start = time.perf_counter()
            result = deploy_model.model(graph)
            timings.append(time.perf_counter() - start)
        throttles = result["predictedThrottles"]
        assert isinstance(throttles, list)
        failing = sum(1 for t in throttles if not t["budgetHolds"])
        what_if = result["whatIf"]
        assert isinstance(what_if, dict)
        table.add_row(
            stack,
            str(len(graph.resources)),
            str(result["parallel"]),
            f"{result['createSeconds']:.0f}",
            f"{result['destroySeconds']:.0f}",
            f"{what_if['parallel1']['createSeconds']:.0f}",
            str(failing),
            str(CREATE_TARGET_S),
            f"{min(timings):.2f}",
            f"{MODEL_FLOOR_S:.2f}",
        )
    Console(width=140).print(table)


if __name__ == "__main__":
    main()
