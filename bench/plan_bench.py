"""Offline plan figures: capture and gate time for a generated ~300-resource program and for
every built example stack. Prints a table; asserts nothing (targets are read, not enforced).

Targets (issue 2): capture + gate of 300 resources under 3 s on a 2-core machine; gate under 1 s.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from plan import gate  # noqa: E402
from plan.capture import capture  # noqa: E402
from plan.project import load_stack  # noqa: E402
from program.blueprints import BUILT  # noqa: E402
from unit.plan.projects import write_generated  # noqa: E402

PACK = ROOT / "policy_pack"


def timed(fn):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn()
    return result, time.perf_counter() - start


RUNS = 3  # best of: the machine is shared, single runs are noisy


def measure(project_dir: Path, stack: str) -> tuple[int, float, float, float]:
    spec = load_stack(project_dir, stack)
    captures = [timed(lambda: capture(spec)) for _ in range(RUNS)]
    graph, capture_s = captures[0][0], min(seconds for _, seconds in captures)
    # The gate is the pack's start (a Python process importing pulumi and grpc) plus the RPCs.
    with gate.running_pack(PACK, spec, preview=False) as stub:
        analyze_s = min(
            timed(lambda: gate._analyze(stub, graph, spec, {}, "mandatory"))[1] for _ in range(RUNS)
        )
    gate_s = min(timed(lambda: gate.analyze(graph, spec, PACK))[1] for _ in range(RUNS))
    return len(graph.resources), capture_s, gate_s, analyze_s


def main() -> None:
    table = Table(title=f"offline plan: capture and gate, best of {RUNS} (no Pulumi engine)")
    for column in (
        "program",
        "resources",
        "capture s",
        "gate s (start+RPCs)",
        "RPCs only s",
        "capture+gate s",
    ):
        table.add_column(column, justify="right" if column != "program" else "left")
    with tempfile.TemporaryDirectory() as tmp:
        rows = [("generated", *measure(write_generated(Path(tmp), 300), "dev"))]
    stacks = {p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*-dev.yaml")}
    for stack in sorted(stacks):
        blueprint = load_stack(ROOT, stack).config["webstack:blueprint"]
        if blueprint in BUILT:
            rows.append((stack, *measure(ROOT, stack)))
    for name, count, capture_s, gate_s, analyze_s in rows:
        table.add_row(
            name,
            str(count),
            f"{capture_s:.2f}",
            f"{gate_s:.2f}",
            f"{analyze_s:.2f}",
            f"{capture_s + gate_s:.2f}",
        )
    Console(width=120).print(table)


if __name__ == "__main__":
    main()
