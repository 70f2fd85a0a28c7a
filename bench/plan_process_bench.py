"""What a user waits for: whole-process wall time of `python -m plan STACK`, beside its floor.

Per built example stack: `python -m plan STACK --no-tree` (child capture, policy pack, report)
against the floor, bench/plan_floor.py (the same program in a fresh process under the SDK's mock
monitor, no capture, gate or report). Then the plan's scaling over generated programs of about
300, 1,000 and 3,000 resources. Prints tables; asserts nothing (targets are read, not enforced).

Target (issue 9): the plan of a built stack within a few seconds of its floor. Best of RUNS for the
stacks; one run per size for the scaling (3,000 resources take a minute or more on 2 shared cores).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from plan.project import load_stack  # noqa: E402
from program.blueprints import BUILT  # noqa: E402
from unit.plan.projects import write_generated  # noqa: E402

RUNS = 3
SIZES = (300, 1000, 3000)
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def wall(command: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False
    )
    seconds = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return seconds, done.returncode


def plan_command(project: Path, stack: str, *extra: str) -> list[str]:
    return [sys.executable, "-m", "plan", stack, "--project-dir", str(project), "--no-tree", *extra]


def floor_command(project: Path, stack: str) -> list[str]:
    return [sys.executable, str(ROOT / "bench" / "plan_floor.py"), str(project), stack]


def best(command: list[str]) -> float:
    return min(wall(command)[0] for _ in range(RUNS))


def stacks_table() -> Table:
    table = Table(title=f"python -m plan STACK, whole process, best of {RUNS} (no Pulumi engine)")
    for column in ("stack", "plan s", "floor s", "plan - floor s", "no-policy s"):
        table.add_column(column, justify="left" if column == "stack" else "right")
    stacks = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in ROOT.glob("Pulumi.*-dev.yaml"))
    for stack in stacks:
        if load_stack(ROOT, stack).config["webstack:blueprint"] not in BUILT:
            continue
        plan_s = best(plan_command(ROOT, stack))
        floor_s = best(floor_command(ROOT, stack))
        no_policy_s = best(plan_command(ROOT, stack, "--no-policy"))
        table.add_row(
            stack, f"{plan_s:.2f}", f"{floor_s:.2f}", f"{plan_s - floor_s:.2f}", f"{no_policy_s:.2f}"
        )
    return table


def scaling_table() -> Table:
    table = Table(title="python -m plan on generated programs, whole process, one run each")
    for column in ("resources", "plan s", "floor s", "plan ms/resource", "no-policy s"):
        table.add_column(column, justify="right")
    with tempfile.TemporaryDirectory() as tmp:
        for size in SIZES:
            project = write_generated(Path(tmp) / str(size), size)
            plan_s, _ = wall(plan_command(project, "dev"))
            floor_s, _ = wall(floor_command(project, "dev"))
            no_policy_s, _ = wall(plan_command(project, "dev", "--no-policy"))
            count = round(size / 6) * 6 + 1  # six per unit, plus the default provider
            table.add_row(
                str(count),
                f"{plan_s:.2f}",
                f"{floor_s:.2f}",
                f"{1000 * plan_s / count:.1f}",
                f"{no_policy_s:.2f}",
            )
    return table


def main() -> None:
    console = Console(width=120)
    console.print(
        f"load average at start: {' '.join(f'{x:.1f}' for x in os.getloadavg())} ({os.cpu_count()} CPUs)"
    )
    console.print(stacks_table())
    console.print(scaling_table())


if __name__ == "__main__":
    main()
