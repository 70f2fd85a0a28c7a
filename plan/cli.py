"""`python -m plan STACK`: capture a Pulumi Python program offline and gate it with a policy pack.

Exit 0 when no mandatory violation, 1 when any, 2 when no verdict could be reached (bad usage,
bad stack config, a program or pack that fails): one clear line on stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from rich.console import Console

from plan import deploy_model, isolate, report, tfplan
from plan.gate import PackError, analyze, load_policy_config, running_pack
from plan.project import UsageError, load_stack, stack_policy_config

REPO_ROOT = Path(__file__).resolve().parent.parent
EXIT_OK, EXIT_MANDATORY, EXIT_ERROR = 0, 1, 2
# The built stacks capture in seconds, 5,000 generated resources in about 100 s on a loaded 2-core box;
# a program still running after this is waiting on something that will not come.
DEFAULT_TIMEOUT_S = 600.0
PATH_ARGUMENTS = ("project_dir", "policy_pack", "policy_config", "json", "mermaid", "tfplan")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number of seconds")
    return value


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m plan",
        description="Offline plan of a Pulumi Python stack: the resource graph under the SDK's mock "
        "monitor, gated by a CrossGuard policy pack over its real gRPC protocol. Deploys nothing.",
    )
    p.add_argument("stack", help="stack name: reads Pulumi.STACK.yaml from the project dir")
    p.add_argument(
        "--project-dir", type=Path, default=REPO_ROOT, help="dir with Pulumi.yaml (default: this repo)"
    )
    p.add_argument(
        "--policy-pack",
        type=Path,
        help="policy pack dir (default: PROJECT_DIR/policy_pack if present, else webstack's pack)",
    )
    p.add_argument(
        "--policy-config", type=Path, help="policy config JSON, as `pulumi up --policy-pack-config`"
    )
    p.add_argument("--no-policy", action="store_true", help="capture only; run no policy pack")
    p.add_argument(
        "--preview", action="store_true", help="leave computed values unknown, as `pulumi preview`"
    )
    p.add_argument("--json", type=Path, metavar="FILE", help="write the JSON report to FILE")
    p.add_argument("--mermaid", type=Path, metavar="FILE", help="write a Mermaid diagram to FILE")
    p.add_argument("--tfplan", type=Path, metavar="FILE", help="write a `terraform show -json` plan to FILE")
    p.add_argument("--no-tree", action="store_true", help="leave the resource tree out of the report")
    p.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT_S,
        metavar="SECONDS",
        help=f"stop a program still running after SECONDS (default {DEFAULT_TIMEOUT_S:g}), exit 2",
    )
    p.add_argument("--debug", action="store_true", help="show the program's traceback when it fails")
    p.add_argument(
        "--deploy-model",
        action="store_true",
        help="also model create/destroy time and AWS API throttling (a model, not a measurement)",
    )
    p.add_argument(
        "--parallel",
        type=deploy_model.parallel_arg,
        metavar="N",
        help="engine parallelism for --deploy-model (default: as `pulumi up`, 4 x CPUs or PULUMI_PARALLEL)",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # Relative paths mean the caller's cwd at start, whatever the program does with its own.
    for name in PATH_ARGUMENTS:
        if getattr(args, name) is not None:
            setattr(args, name, getattr(args, name).absolute())
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        spec = load_stack(args.project_dir, args.stack)
        pack_dir = args.policy_pack or next(
            p for p in (spec.project_dir / "policy_pack", REPO_ROOT / "policy_pack") if p.is_dir()
        )
        policy_config = load_policy_config(
            args.policy_config or stack_policy_config(spec.project_dir, args.stack)
        )
        with contextlib.ExitStack() as running:
            # The program runs in a child (plan/isolate.py) while the pack starts here.
            child = isolate.start(spec, preview=args.preview)
            running.callback(child.stop)
            stub = (
                None if args.no_policy else running.enter_context(running_pack(pack_dir, spec, args.preview))
            )
            graph = child.result(args.timeout)
            graph.warnings[:0] = list(spec.warnings)
            verdict = None if stub is None else analyze(graph, spec, pack_dir, policy_config, stub=stub)
    except (UsageError, PackError) as error:
        err.print(f"error: {error}", markup=False)
        return EXIT_ERROR
    except isolate.CaptureError as error:
        err.print(f"error: {error.line}", markup=False)
        if error.detail and args.debug:
            err.print(error.detail, markup=False)
        elif error.detail:
            err.print("  (run with --debug for the traceback)", markup=False)
        return EXIT_ERROR

    report.render(graph, verdict, Console(highlight=False, soft_wrap=True), show_tree=not args.no_tree)
    modelled = deploy_model.model(graph, args.parallel) if args.deploy_model or args.parallel else None
    if modelled:
        deploy_model.render(modelled, Console(highlight=False, soft_wrap=True))
    try:
        if args.json:
            report.write_json(args.json, graph, verdict, {"deployModel": modelled} if modelled else None)
        if args.mermaid:
            args.mermaid.write_text(report.mermaid(graph), encoding="utf-8")
        if args.tfplan:
            tfplan.write(args.tfplan, graph, Console(highlight=False, soft_wrap=True))
    except OSError as error:
        err.print(f"error: cannot write the report: {error}", markup=False)
        return EXIT_ERROR
    if verdict and verdict.crashes:
        # The report above holds every other policy's verdict; this one is incomplete.
        for crash in verdict.crashes:
            err.print(f"error: {crash.line()}", markup=False)
        return EXIT_ERROR
    return EXIT_MANDATORY if verdict and verdict.mandatory else EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
