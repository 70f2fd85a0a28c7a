"""`--tfplan` figures, side by side in one run over the same captured graph of every built stack:
the export time, checkov's scan of that export, and the policy pack's gate. Asserts nothing.

Target (issue 13, read not enforced): the export costs well under the gate (it is a pure function
of the graph), so scanning with checkov adds checkov's own time and nothing else.
checkov is found through CHECKOV_BIN (nox -s bench sets it; see requirements-checkov.txt).
"""

from __future__ import annotations

import json
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

from plan import gate, tfplan  # noqa: E402
from plan.capture import capture  # noqa: E402
from plan.project import load_stack  # noqa: E402
from plan.tfplan_types import AwsSchema  # noqa: E402
from program.blueprints import BUILT  # noqa: E402

RUNS = 3  # best of: the machine is shared, single runs are noisy
EXPORT_TARGET_S = 1.0


def best(fn, runs: int = RUNS) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def checkov_seconds(plan_file: Path) -> str:
    binary = os.environ.get("CHECKOV_BIN", "")
    if not binary or not Path(binary).is_file():
        return "n/a (set CHECKOV_BIN)"
    start = time.perf_counter()
    proc = subprocess.run(
        [binary, "-f", str(plan_file), "--framework", "terraform_plan", "-o", "json", "--skip-download"],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        return f"failed (exit {proc.returncode})"
    report = json.loads(proc.stdout)
    summary = (report[0] if isinstance(report, list) else report)["summary"]
    return f"{elapsed:.2f} ({summary['resource_count']} res, {summary['failed']} failed)"


def main() -> None:
    table = Table(title="--tfplan: export vs checkov scan vs pack gate, same graph (seconds)")
    for column in ("stack", "resources", "export (best of 3)", "checkov scan", "pack gate (best of 3)"):
        table.add_column(column)
    schema = AwsSchema()
    for path in sorted(ROOT.glob("Pulumi.*.yaml")):
        stack = path.name[len("Pulumi.") : -len(".yaml")]
        spec = load_stack(ROOT, stack)
        if spec.config.get("webstack:blueprint") not in BUILT:
            continue
        graph = capture(spec)
        tfplan.export(graph, schema)  # warm the SDK imports the type lookups need, once
        export_s = best(lambda: tfplan.export(graph, schema))  # noqa: B023
        with tempfile.TemporaryDirectory() as tmp:
            plan_file = Path(tmp) / "plan.json"
            plan_file.write_text(json.dumps(tfplan.export(graph, schema).plan), encoding="utf-8")
            scan = checkov_seconds(plan_file)
        gate_s = best(lambda: gate.analyze(graph, spec, ROOT / "policy_pack"))  # noqa: B023
        mapped = len(tfplan.export(graph, schema).mapped)
        table.add_row(stack, f"{mapped}/{len(graph.resources)}", f"{export_s:.3f}", scan, f"{gate_s:.2f}")
    console = Console(highlight=False, width=120)
    console.print(table)
    console.print(f"target: export < {EXPORT_TARGET_S:.1f} s per stack (read, not enforced)")


if __name__ == "__main__":
    main()
