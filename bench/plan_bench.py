"""Offline plan figures: capture and gate time for a generated ~300-resource program and for
every built example stack. Prints a table; asserts nothing (targets are read, not enforced).

Targets (issue 2): capture + gate of 300 resources under 3 s on a 2-core machine; gate under 1 s.
"""

from __future__ import annotations

import sys
import tempfile
import textwrap
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

PACK = ROOT / "policy_pack"

# Six resources per unit, a mix of the types the blueprints use, with cross-references.
GENERATED = """
import json
import pulumi
import pulumi_aws as aws

for i in range({units}):
    bucket = aws.s3.Bucket(f"bucket-{{i}}", bucket=f"bucket-{{i}}-bench", force_destroy=True)
    aws.s3.BucketServerSideEncryptionConfiguration(f"sse-{{i}}", bucket=bucket.id, rules=[{{
        "apply_server_side_encryption_by_default": {{"sse_algorithm": "AES256"}}}}])
    aws.s3.BucketPublicAccessBlock(f"bpa-{{i}}", bucket=bucket.id, block_public_acls=True,
        block_public_policy=True, ignore_public_acls=True, restrict_public_buckets=True)
    role = aws.iam.Role(f"role-{{i}}", name=f"role-{{i}}-bench", assume_role_policy=json.dumps({{
        "Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": "sts:AssumeRole",
        "Principal": {{"Service": "lambda.amazonaws.com"}}}}]}}))
    aws.iam.RolePolicy(f"policy-{{i}}", role=role.id, policy=pulumi.Output.json_dumps({{
        "Version": "2012-10-17", "Statement": [{{"Effect": "Allow", "Action": ["s3:GetObject"],
        "Resource": [pulumi.Output.concat(bucket.arn, "/*")]}}]}}))
    aws.sqs.Queue(f"queue-{{i}}", name=f"queue-{{i}}-bench", sqs_managed_sse_enabled=True)
"""


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
        project = Path(tmp)
        (project / "prog").mkdir()
        (project / "Pulumi.yaml").write_text("name: bench\nruntime: python\nmain: prog/\n")
        (project / "Pulumi.bench.yaml").write_text("config:\n  aws:region: us-east-1\n")
        (project / "prog" / "__main__.py").write_text(textwrap.dedent(GENERATED.format(units=50)))
        rows = [("generated", *measure(project, "bench"))]
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
