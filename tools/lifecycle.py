"""Deploy lifecycle: deploy, integration probes, destroy, and the ephemeral CI run of all three.

    python -m tools.lifecycle preview [STACK]     # pulumi preview with the pack, else the offline plan
    python -m tools.lifecycle deploy STACK        # pulumi up --policy-pack policy_pack, then outputs files
    python -m tools.lifecycle integration STACK   # the tenacity-retried probes in integration/
    python -m tools.lifecycle destroy STACK       # pulumi destroy, then pulumi stack rm
    python -m tools.lifecycle ephemeral [EXAMPLE]  # unique suffix; deploy -> probes -> destroy, always
    python -m tools.lifecycle teardown [EXAMPLE]   # CI backstop: destroy this run's ephemeral stack

This needs the Pulumi CLI and AWS credentials; nothing in the offline tests runs it against a
cloud. Every prerequisite is checked before anything is touched: no `pulumi` on PATH, no
credentials (STS GetCallerIdentity), or no passphrase for the local state backend give one
clear line with the fix and exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".pulumi-state"
OUTPUTS_DIR = Path(os.environ.get("WEBSTACK_OUTPUTS_DIR", ROOT / "cfn-outputs"))
PACK_DIR = ROOT / "policy_pack"
EXIT_PREREQUISITE = 2
EXIT_CANCELLED = 130
DEFAULT_EPHEMERAL_SOURCE = DEFAULT_PREVIEW_STACK = "serverless-dev"
MAX_SUFFIX = 16


class MissingPrerequisiteError(Exception):
    """Something the user must install or set first; the message says what."""


def backend_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment every pulumi command runs with: an explicit backend, never a prompt."""
    env = dict(environ)
    if not env.get("PULUMI_BACKEND_URL"):
        # A local file backend inside the repo (git-ignored); no Pulumi Cloud account needed.
        env["PULUMI_BACKEND_URL"] = STATE_DIR.as_uri()
        if not (env.get("PULUMI_CONFIG_PASSPHRASE") or env.get("PULUMI_CONFIG_PASSPHRASE_FILE")):
            raise MissingPrerequisiteError(
                "the local state backend encrypts secrets with a passphrase: set PULUMI_CONFIG_PASSPHRASE "
                "(or PULUMI_CONFIG_PASSPHRASE_FILE), or set PULUMI_BACKEND_URL to another backend"
            )
    env.setdefault("PULUMI_SKIP_UPDATE_CHECK", "true")
    return env


def require_pulumi() -> str:
    found = shutil.which("pulumi")
    if found is None:
        raise MissingPrerequisiteError(
            "the pulumi CLI is not on PATH: install it (https://www.pulumi.com/docs/install/) and retry"
        )
    return found


def require_aws_credentials() -> str:
    """The account id the credentials belong to, checked with STS (no resource is touched)."""
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return str(boto3.client("sts").get_caller_identity()["Account"])
    except (BotoCoreError, ClientError) as error:
        raise MissingPrerequisiteError(
            f"no usable AWS credentials ({error.__class__.__name__}): configure them "
            "(aws configure, AWS_PROFILE, or OIDC in CI) and retry"
        ) from None


class Pulumi:
    """Runs the pulumi CLI in the repo with the backend environment, echoing each command."""

    def __init__(self, env: dict[str, str]) -> None:
        self.env = env

    def run(self, *args: str, capture: bool = False) -> str:
        command = ["pulumi", *args, "--non-interactive"]
        print("+ " + " ".join(command), flush=True)
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, text=True, stdout=subprocess.PIPE if capture else None
        )
        try:
            stdout, _ = process.communicate()
        except KeyboardInterrupt:
            # Cancelled (Ctrl-C, or CI's SIGTERM turned into this): let pulumi stop cleanly, writing
            # its state and releasing the stack lock, so the queued destroy can still run.
            process.send_signal(signal.SIGINT)
            process.wait()
            raise
        if process.returncode != 0:
            raise subprocess.CalledProcessError(process.returncode, command)
        return stdout or ""


def example_config(stack: str) -> dict[str, str]:
    """The plain config of a committed example stack file (Pulumi.<stack>.yaml)."""
    path = ROOT / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise MissingPrerequisiteError(f"no example stack {stack}: Pulumi.{stack}.yaml does not exist")
    config = (yaml.safe_load(path.read_text()) or {}).get("config") or {}
    secure = [key for key, value in config.items() if isinstance(value, dict) and set(value) == {"secure"}]
    if secure:
        raise MissingPrerequisiteError(
            f"Pulumi.{stack}.yaml: encrypted values ({', '.join(secure)}) cannot be copied"
        )
    return {str(key): _config_string(value) for key, value in config.items()}


def _config_string(value: Any) -> str:
    """A config value as `pulumi config set` takes it: structured values as JSON, as the engine does."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else json.dumps(value)


def flatten_outputs(outputs: Mapping[str, Any]) -> dict[str, str]:
    """Every value a string (the seeds' flat-outputs.json convention): lists and maps as JSON."""
    return {key: value if isinstance(value, str) else json.dumps(value) for key, value in outputs.items()}


def write_outputs(outputs: Mapping[str, Any]) -> None:
    OUTPUTS_DIR.mkdir(exist_ok=True)
    (OUTPUTS_DIR / "outputs.json").write_text(json.dumps(outputs, indent=2, sort_keys=True) + "\n")
    (OUTPUTS_DIR / "flat-outputs.json").write_text(
        json.dumps(flatten_outputs(outputs), indent=2, sort_keys=True) + "\n"
    )


def prepare(stack: str) -> Pulumi:
    """Check every prerequisite, in order, before anything is touched."""
    require_pulumi()
    env = backend_env(os.environ)
    require_aws_credentials()
    if env["PULUMI_BACKEND_URL"] == STATE_DIR.as_uri():
        STATE_DIR.mkdir(exist_ok=True)
    return Pulumi(env)


def preview(stack: str, extra: Sequence[str] = (), policy_config: str | None = None) -> int:
    """`pulumi preview --policy-pack` when the CLI, a backend and credentials are there; otherwise
    the offline plan. Either way, say which ran and why."""
    try:
        pulumi = prepare(stack)
        pulumi.run("whoami")
    except (MissingPrerequisiteError, subprocess.CalledProcessError) as why:
        reason = why if isinstance(why, MissingPrerequisiteError) else "`pulumi whoami` failed"
        print(f"running the offline plan of {stack} (no Pulumi engine): {reason}", flush=True)
        offline = [sys.executable, "-m", "plan", stack, *extra]
        if policy_config:
            offline += ["--policy-config", policy_config]
        return subprocess.run(offline, cwd=ROOT, check=False).returncode
    print(f"running `pulumi preview` of {stack} with the policy pack (real engine)", flush=True)
    pulumi.run("stack", "select", "--create", "--stack", stack)
    pulumi.run("install")
    pulumi.run("install", "--cwd", str(PACK_DIR))
    config = ["--policy-pack-config", policy_config] if policy_config else []
    pulumi.run("preview", "--stack", stack, "--policy-pack", str(PACK_DIR), *config, *extra)
    return 0


def deploy(stack: str, config: Mapping[str, str] | None = None, policy_config: str | None = None) -> None:
    pulumi = prepare(stack)
    pulumi.run("stack", "select", "--create", "--stack", stack)
    for key, value in (config or {}).items():
        pulumi.run("config", "set", "--stack", stack, key, value)
    pulumi.run("install")  # the program's virtualenv (.venv) and provider plugins
    pulumi.run("install", "--cwd", str(PACK_DIR))  # the policy pack's own venv (PulumiPolicy.yaml)
    # With its preview: a policy violation stops the update before anything is created.
    up = ["up", "--yes", "--stack", stack, "--policy-pack", str(PACK_DIR)]
    if policy_config:
        up += ["--policy-pack-config", policy_config]
    pulumi.run(*up)
    write_outputs(
        json.loads(pulumi.run("stack", "output", "--json", "--show-secrets", "--stack", stack, capture=True))
    )


def integration(stack: str) -> int:
    flat = OUTPUTS_DIR / "flat-outputs.json"
    if not flat.is_file():
        raise MissingPrerequisiteError(f"no {flat.relative_to(ROOT)}: run `nox -s deploy -- {stack}` first")
    env = {**os.environ, "WEBSTACK_OUTPUTS": str(flat), "WEBSTACK_STACK": stack}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "integration", "-v"], cwd=ROOT, env=env, check=False
    ).returncode


def destroy(stack: str, keep_config: bool = True) -> None:
    pulumi = prepare(stack)
    pulumi.run("destroy", "--yes", "--skip-preview", "--stack", stack)
    rm = ["stack", "rm", "--yes", stack]
    if keep_config:
        # Example stacks' Pulumi.<stack>.yaml are committed; stack rm would delete them.
        rm.insert(3, "--preserve-config")
    pulumi.run(*rm)


def ephemeral_suffix(environ: Mapping[str, str], now: float | None = None) -> str:
    """A suffix unique to this CI run (or, locally, to this minute), valid for every AWS name."""
    run_id, attempt = environ.get("GITHUB_RUN_ID"), environ.get("GITHUB_RUN_ATTEMPT", "1")
    if run_id and run_id.isdigit() and attempt.isdigit():
        suffix = f"ci{run_id}-{attempt}"
    else:
        suffix = "e" + time.strftime("%y%m%d%H%M", time.gmtime(now))
    return suffix[-MAX_SUFFIX:].lstrip("-")


def _raise_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    # CI cancellation sends SIGTERM; turn it into an exception so `finally` still destroys.
    raise KeyboardInterrupt(f"signal {signum}")


def ephemeral_stack(source_stack: str, environ: Mapping[str, str]) -> tuple[str, str]:
    """(stack name, suffix) of this run's copy of ``source_stack``, e.g. serverless-ci4242-1."""
    suffix = ephemeral_suffix(environ)
    return f"{source_stack.rsplit('-', 1)[0]}-{suffix}", suffix


def teardown(source_stack: str = DEFAULT_EPHEMERAL_SOURCE) -> None:
    """Destroy this CI run's ephemeral stack if a killed job left it behind."""
    stack, _ = ephemeral_stack(source_stack, os.environ)
    pulumi = prepare(stack)
    # Only a stack the backend does not list is absent; any other failure must surface.
    stacks = {
        entry["name"].rsplit("/", 1)[-1]
        for entry in json.loads(pulumi.run("stack", "ls", "--json", capture=True))
    }
    if stack not in stacks:
        print(f"no stack {stack}: nothing to tear down", flush=True)
        return
    destroy(stack, keep_config=False)


def ephemeral(source_stack: str = DEFAULT_EPHEMERAL_SOURCE, environ: Mapping[str, str] | None = None) -> int:
    """Deploy a uniquely suffixed copy of an example stack, probe it, and always destroy it."""
    environ = os.environ if environ is None else environ
    config = example_config(source_stack)
    stack, suffix = ephemeral_stack(source_stack, environ)
    config["webstack:environmentSuffix"] = suffix
    prepare(stack)  # every prerequisite before the teardown is queued: nothing to tear down yet
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    print(f"ephemeral stack {stack} (suffix {suffix}); destroy is queued before up", flush=True)
    result = 1
    try:
        deploy(stack, config)
        result = integration(stack)
    except subprocess.CalledProcessError as error:
        print(f"error: `{' '.join(error.cmd)}` failed with exit code {error.returncode}", file=sys.stderr)
        result = error.returncode or 1
    finally:
        try:
            destroy(stack, keep_config=False)
        except subprocess.CalledProcessError as error:
            print(
                f"error: teardown of {stack} failed ({error.returncode}); destroy it by hand", file=sys.stderr
            )
            result = result or error.returncode or 1
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.lifecycle", description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "action", choices=("preview", "deploy", "integration", "destroy", "ephemeral", "teardown")
    )
    parser.add_argument("stack", nargs="?", help="stack name (ephemeral: the example stack to copy)")
    parser.add_argument("--policy-config", help="policy pack config JSON (pulumi --policy-pack-config)")
    args, extra = parser.parse_known_args(argv)
    if extra and args.action != "preview":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.action not in ("preview", "ephemeral", "teardown") and not args.stack:
        parser.error(f"{args.action} needs a STACK, e.g. serverless-dev")
    try:
        if args.action == "preview":
            return preview(args.stack or DEFAULT_PREVIEW_STACK, extra, args.policy_config)
        if args.action == "deploy":
            deploy(args.stack, policy_config=args.policy_config)
        elif args.action == "integration":
            return integration(args.stack)
        elif args.action == "destroy":
            destroy(args.stack)
        elif args.action == "teardown":
            teardown(args.stack or DEFAULT_EPHEMERAL_SOURCE)
        else:
            return ephemeral(args.stack or DEFAULT_EPHEMERAL_SOURCE)
    except MissingPrerequisiteError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_PREREQUISITE
    except KeyboardInterrupt:
        print("error: cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    except subprocess.CalledProcessError as error:
        print(f"error: `{' '.join(error.cmd)}` failed with exit code {error.returncode}", file=sys.stderr)
        return error.returncode or 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
