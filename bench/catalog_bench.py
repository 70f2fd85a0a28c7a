"""Catalog service benchmark (seed 002): reservations/s and p50/p99 latency at 50 concurrent
clients through the service, beside the floor of the service's own atomic reservation statement
(the conditional UPDATE and the reservation INSERT, one statement; src/catalog.js) issued directly
with pg. The bare UPDATE, which records no reservation, is printed as a reference.

    python bench/catalog_bench.py [--clients 50] [--seconds 5] [--rounds 3]

Also the Lambda handler path in-process (ALB events through the same adapter, runtime and pools;
no network hop), which separates the service's own cost from the local HTTP transport's.

The measuring is done by lambdas/catalog_api/bench/load.js (Node, the service's own language and
driver): it starts a throw-away PostgreSQL (initdb + pg_ctl, as the `postgres` user when run as
root) on a free 127.0.0.1 port, migrates it, runs the local HTTP server and drives it. This
script installs the package's locked dependencies when they are missing (`npm ci`), runs it and
prints its figures. Not a test: it asserts nothing (target: service/floor under 1.5x).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lambdas" / "catalog_api"


def ensure_dependencies() -> None:
    """`npm ci` when node_modules is absent or older than the lockfile (fresh clone, new pins)."""
    installed = PACKAGE / "node_modules" / ".package-lock.json"
    lock = PACKAGE / "package-lock.json"
    if installed.is_file() and installed.stat().st_mtime >= lock.stat().st_mtime:
        return
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PACKAGE, check=True)


def main(argv: list[str]) -> int:
    if shutil.which("node") is None or shutil.which("npm") is None:
        print("catalog bench: skipped, node/npm not on PATH", file=sys.stderr)
        return 1
    ensure_dependencies()
    out = subprocess.run(
        ["node", "bench/load.js", "--json", *argv],
        cwd=PACKAGE,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    report = json.loads(out.stdout.strip().splitlines()[-1])

    def row(label: str, r: dict) -> str:
        return (
            f"  {label:<42} {r['rps']:>7.0f} reservations/s   p50 {r['p50']:>7.2f} ms"
            f"   p99 {r['p99']:>8.2f} ms   ({r['ops']} ok, {r['errors']} failed)"
        )

    ratio = report["ratio"]
    print(
        f"Catalog reservations: {report['clients']} concurrent clients, one hot SKU, median of "
        f"{report['rounds']} interleaved rounds of {report['seconds']} s, local PostgreSQL"
    )
    print(row("bare UPDATE (reference, records nothing)", report["bareUpdate"]))
    print(row("floor (pg, the reservation statement)", report["floor"]))
    print(row("floor (pg, the keyed statement)", report["floorIdempotent"]))
    print(row("service (HTTP, no Idempotency-Key)", report["service"]))
    print(row("service (HTTP, Idempotency-Key)", report["serviceIdempotent"]))
    print(row("handler (ALB events, no HTTP hop)", report["handler"]))
    print(row("handler (ALB events, Idempotency-Key)", report["handlerIdempotent"]))
    print(
        f"  service/floor: p50 {ratio['p50']:.2f}x, throughput {ratio['throughput']:.2f}x; "
        f"with Idempotency-Key: p50 {ratio['idempotentP50']:.2f}x, "
        f"throughput {ratio['idempotentThroughput']:.2f}x against the keyed floor (target < 1.5x)"
    )
    print(
        f"  bare UPDATE/service throughput: {ratio['bareUpdateThroughput']:.2f}x "
        "(recording the reservation is database work, and it is in the floor)"
    )
    print(
        f"  handler/floor throughput: {ratio['handlerThroughput']:.2f}x, "
        f"with Idempotency-Key {ratio['handlerIdempotentThroughput']:.2f}x"
    )
    load = " ".join(f"{x:.1f}" for x in report["loadavg"])
    print(f"  host load average at the end: {load} on {report['cpus']} CPUs (the figures share them)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
