"""The whole sequence for one example stack in one command: tests, gate, deploy, probes, destroy.

    python -m tools.pipeline STACK [--policy-config FILE]    # nox -s pipeline -- STACK

It deploys a uniquely suffixed copy of the example stack STACK (Pulumi.STACK.yaml), never STACK
itself, with the copy-only config of THROWAWAY_CONFIG (serverless-app: no NAT gateways, and the
region's API Gateway account setting left to the seed stack). Stages, in order; any failure
before the deploy stops the run with nothing deployed:

    prerequisites  the example stack file, the pulumi CLI, AWS credentials (STS), the state backend
    tests          the mocked unit tests (pytest unit), other built blueprints' own modules left out
    gate           the offline plan and policy pack on exactly the config to be deployed: exit 1
                   (mandatory violations) or 2 (no verdict) stops here
    deploy         pulumi up --policy-pack policy_pack on the copy, then its outputs files
    probes         the tenacity-retried integration probes against those outputs
    destroy        pulumi destroy and stack rm of the copy: runs once the deploy has begun, whatever
                   failed after it; if it fails, the stack name and the commands to finish by hand

It ends with a summary: each stage, its result and its time. The exit code is the first failing
stage's (130 when cancelled). WEBSTACK_PIPELINE_STAND_INS, a JSON object mapping "tests", "gate" or
"probes" to an argv, runs that argv as the stage instead (the orchestration tests use it to stay
fast); its exit code is the stage's result.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from tools import lifecycle
from tools.lifecycle import MissingPrerequisiteError, UnexpectedOutputError
from tools.stacks import built_blueprints

ROOT = lifecycle.ROOT
STAGES = ("prerequisites", "tests", "gate", "deploy", "probes", "destroy")
STAND_IN_STAGES = ("tests", "gate", "probes")
GATE_VERDICTS = {1: "mandatory policy violations", 2: "no verdict (the plan could not run)"}
# Config only throwaway copies get, per blueprint (set in prerequisites, so the gate plans it too).
THROWAWAY_CONFIG: dict[str, dict[str, str]] = {
    "serverless-app": {
        # The region's API Gateway CloudWatch role setting belongs to the seed stack (one owner per
        # region): a copy that owned it would re-point it, then reset it on destroy (api_account.py).
        "webstack:manageApiGatewayAccount": "false",
        # Its Lambdas reach AWS only through VPC endpoints (000-R16): nothing routes through a NAT,
        # so a copy runs without the NAT gateways (and their hourly charge) the seed asks for.
        "webstack:natGateways": "none",
    },
    # The same one-owner-per-region setting: catalog-api's and media-platform's REST stages log too.
    "catalog-api": {"webstack:manageApiGatewayAccount": "false"},
    "media-platform": {"webstack:manageApiGatewayAccount": "false"},
}


@dataclass
class Stage:
    name: str
    result: str = "not run"
    code: int | None = None
    seconds: float | None = None
    note: str = ""  # said beside "passed", e.g. that there was nothing to destroy

    @property
    def passed(self) -> bool:
        return self.code == 0


def stand_ins(environ: Mapping[str, str]) -> dict[str, list[str]]:
    raw = environ.get("WEBSTACK_PIPELINE_STAND_INS")
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise MissingPrerequisiteError("WEBSTACK_PIPELINE_STAND_INS is not JSON") from None
    if not isinstance(value, dict) or not all(
        key in STAND_IN_STAGES and isinstance(argv, list) and all(isinstance(a, str) for a in argv) and argv
        for key, argv in value.items()
    ):
        raise MissingPrerequisiteError(
            f"WEBSTACK_PIPELINE_STAND_INS maps {', '.join(STAND_IN_STAGES)} to argv lists of strings"
        )
    return value


def unit_test_command(blueprint: str) -> list[str]:
    """pytest over unit/, leaving out the test modules that belong to other built blueprints."""
    command = [sys.executable, "-m", "pytest", "unit", "-q", "-n", "auto"]
    for other in sorted(built_blueprints() - {blueprint}):
        module = other.replace("-", "_")
        for path in (f"unit/program/blueprints/test_{module}.py", f"unit/program/blueprints/{module}"):
            if (ROOT / path).exists():
                command.append(f"--ignore={path}")
    return command


def gate_command(
    stack: str, config: Mapping[str, str], workdir: Path, policy_config: str | None
) -> list[str]:
    """`python -m plan` over a project dir holding exactly the config the deploy will set (the
    copy's stack name and suffix), with the program and policy pack of this repo."""
    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text(encoding="utf-8"))
    project["main"] = str((ROOT / str(project.get("main", "."))).resolve())
    (workdir / "Pulumi.yaml").write_text(yaml.safe_dump(project), encoding="utf-8")
    (workdir / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": dict(config)}), encoding="utf-8")
    command = [sys.executable, "-m", "plan", stack, "--project-dir", str(workdir)]
    command += ["--policy-pack", str(lifecycle.PACK_DIR), "--no-tree"]
    if policy_config:
        command += ["--policy-config", str(Path(policy_config).resolve())]
    return command


def run_stage(stage: Stage, action: Callable[[], int], verdicts: Mapping[int, str] | None = None) -> bool:
    """Run one stage, recording its result, exit code and time; True when it passed."""
    print(f"== {stage.name}", flush=True)
    start = time.monotonic()
    try:
        stage.code = action()
        if stage.code == 0:
            stage.result = f"passed ({stage.note})" if stage.note else "passed"
        else:
            why = (verdicts or {}).get(stage.code, "")
            stage.result = f"failed (exit {stage.code}{': ' + why if why else ''})"
    except KeyboardInterrupt:
        stage.code, stage.result = lifecycle.EXIT_CANCELLED, "cancelled"
        raise
    except subprocess.CalledProcessError as error:
        stage.code = error.returncode or 1
        stage.result = f"failed: `{' '.join(error.cmd[:3])}` exited {error.returncode}"
    except MissingPrerequisiteError as error:
        stage.code, stage.result = lifecycle.EXIT_PREREQUISITE, f"failed: {error}"
    except UnexpectedOutputError as error:
        stage.code, stage.result = 1, f"failed: {error}"
    finally:
        stage.seconds = time.monotonic() - start
    if stage.code:
        print(f"error: {stage.name} {stage.result}", file=sys.stderr, flush=True)
    return stage.passed


def by_hand(stack: str, pulumi: lifecycle.Pulumi) -> str:
    backend = pulumi.env.get("PULUMI_BACKEND_URL", "")
    quoted = shlex.quote(stack)
    lines = [
        f"error: destroy of {stack} did not finish; its resources are still deployed. Finish it by hand "
        "with the same AWS credentials (and PULUMI_CONFIG_PASSPHRASE for a file or S3 backend):",
        f"    export PULUMI_BACKEND_URL={shlex.quote(backend)}",
        f"    pulumi cancel --yes --stack {quoted}    # only if pulumi says the stack is locked or busy",
        f"    pulumi destroy --yes --stack {quoted} && pulumi stack rm --yes {quoted}",
    ]
    return "\n".join(lines)


def summary(source: str, stack: str, stages: Sequence[Stage]) -> str:
    lines = [f"pipeline {source} (deployed as {stack}):", f"  {'stage':<14} {'time':>8}  result"]
    for stage in stages:
        seconds = "-" if stage.seconds is None else f"{stage.seconds:.1f} s"
        lines.append(f"  {stage.name:<14} {seconds:>8}  {stage.result}")
    return "\n".join(lines)


def pipeline(source: str, policy_config: str | None = None, environ: Mapping[str, str] | None = None) -> int:
    environ = os.environ if environ is None else environ
    # The copy is judged and deployed under the example stack's own policy config, if it has one.
    policy_config = lifecycle.default_policy_config(source, policy_config)
    stages = {name: Stage(name) for name in STAGES}
    stack, suffix = lifecycle.ephemeral_stack(source, environ)
    config: dict[str, str] = {}
    replaced: dict[str, list[str]] = {}
    pulumi: lifecycle.Pulumi | None = None

    def prerequisites() -> int:
        nonlocal pulumi
        replaced.update(stand_ins(environ))
        config.update(lifecycle.example_config(source))
        config["webstack:environmentSuffix"] = suffix
        blueprint = config.get("webstack:blueprint", "")
        config.update(THROWAWAY_CONFIG.get(blueprint, {}))
        built = built_blueprints()
        if blueprint not in built:
            # Said now, not after minutes of tests, by a gate that would only say the same.
            raise MissingPrerequisiteError(
                f"Pulumi.{source}.yaml: blueprint {blueprint or '(none)'} is not built yet "
                f"(built: {', '.join(sorted(built))})"
            )
        pulumi = lifecycle.prepare(stack)
        return 0

    def tests() -> int:
        command = replaced.get("tests") or unit_test_command(config.get("webstack:blueprint", ""))
        return subprocess.run(command, cwd=ROOT, check=False).returncode

    def gate() -> int:
        with tempfile.TemporaryDirectory(prefix="webstack-gate-") as workdir:
            command = replaced.get("gate") or gate_command(stack, config, Path(workdir), policy_config)
            return subprocess.run(command, cwd=ROOT, check=False).returncode

    def deploy() -> int:
        lifecycle.deploy(stack, config, policy_config, pulumi=pulumi)
        return 0

    def probes() -> int:
        return lifecycle.integration(stack, replaced.get("probes"))

    def destroy() -> int:
        assert pulumi is not None
        if not stages["deploy"].passed and not pulumi.forced_stop:
            # A deploy that failed early (stack select, install) created no stack: say so rather
            # than report a failed destroy of nothing. If the backend cannot tell, destroy anyway.
            try:
                listed = stack in lifecycle.listed_stacks(pulumi)
            except (subprocess.CalledProcessError, UnexpectedOutputError):
                listed = True
            if not listed:
                print(f"no stack {stack}: the deploy created nothing, nothing to destroy", flush=True)
                stages["destroy"].note = "nothing to destroy"
                return 0
        lifecycle.destroy(stack, keep_config=False, pulumi=pulumi)
        return 0

    signal.signal(signal.SIGTERM, lifecycle.raise_on_sigterm)
    print(f"pipeline of {source}: ephemeral stack {stack} (suffix {suffix})", flush=True)
    try:
        if (
            run_stage(stages["prerequisites"], prerequisites)
            and run_stage(stages["tests"], tests)
            and run_stage(stages["gate"], gate, GATE_VERDICTS)
        ):
            try:
                if run_stage(stages["deploy"], deploy):
                    run_stage(stages["probes"], probes)
            finally:
                destroyed = False
                try:
                    destroyed = run_stage(stages["destroy"], destroy)
                finally:
                    if not destroyed and pulumi is not None:
                        print(by_hand(stack, pulumi), file=sys.stderr, flush=True)
    except KeyboardInterrupt:
        print("error: cancelled", file=sys.stderr, flush=True)
    if any(stage.code for stage in stages.values()):
        for stage in stages.values():
            if stage.code is None:
                stage.result = "skipped"
    print(summary(source, stack, list(stages.values())), flush=True)
    return next((stage.code for stage in stages.values() if stage.code), 0) or 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.pipeline", description=__doc__.split("\n\n")[0])
    parser.add_argument("stack", nargs="?", default=lifecycle.DEFAULT_EPHEMERAL_SOURCE, help="example stack")
    parser.add_argument("--policy-config", help="policy pack config JSON (gate and pulumi up)")
    args = parser.parse_args(argv)
    return pipeline(args.stack, args.policy_config)


if __name__ == "__main__":
    sys.exit(main())
