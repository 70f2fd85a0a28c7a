"""Deploy lifecycle: deploy, integration probes, destroy, and the CI backstop teardown.

    python -m tools.lifecycle preview [STACK]     # pulumi preview with the pack, else the offline plan
    python -m tools.lifecycle deploy STACK        # pulumi up --policy-pack policy_pack, then outputs files
    python -m tools.lifecycle integration STACK   # the tenacity-retried probes in integration/
    python -m tools.lifecycle destroy STACK       # pulumi destroy, then pulumi stack rm
    python -m tools.lifecycle teardown [EXAMPLE]  # CI backstop: cancel a stale lock, destroy this run's copy

The whole sequence (tests, offline gate, deploy, probes, destroy) is tools/pipeline.py.
This needs the Pulumi CLI and AWS credentials; nothing in the offline tests runs it against a
cloud. Every prerequisite is checked before anything is touched: no `pulumi` on PATH, no
credentials (STS GetCallerIdentity), no passphrase for the local state backend, or a CI run
without a remote backend give one clear line with the fix and exit 2. Output of the CLI that is
not what it should be (garbage from `stack output --json` or `stack ls --json`) is one line and
exit 1, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

from tools.stacks import StackFileError, read_stack_file, stack_tag

ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = ROOT / ".pulumi-state"
OUTPUTS_DIR = Path(os.environ.get("WEBSTACK_OUTPUTS_DIR", ROOT / "cfn-outputs"))
OUTPUT_FILES = ("outputs.json", "flat-outputs.json")
PACK_DIR = ROOT / "policy_pack"
EXIT_PREREQUISITE = 2
EXIT_CANCELLED = 130
DEFAULT_EPHEMERAL_SOURCE = DEFAULT_PREVIEW_STACK = "serverless-dev"
MAX_SUFFIX = 16
# A cancelled pulumi gets SIGINT (its graceful stop: finish in-flight operations, write the state,
# release the lock), then SIGTERM, then SIGKILL, each after a bounded wait, so a CLI that ignores
# SIGINT can never keep the queued destroy from running.
STOP_GRACE_S = float(os.environ.get("WEBSTACK_PULUMI_STOP_S", "120"))
TERM_GRACE_S = float(os.environ.get("WEBSTACK_PULUMI_TERM_S", "15"))
# Lambda@Edge: AWS removes a function's replicas hours after its distribution lets go of it; the
# provider retries the delete for the function's delete timeout (90 min, edge_function.py), and a
# destroy that still fails on that error alone is run again after a wait.
REPLICATED_FUNCTION = "because it is a replicated function"
DESTROY_ATTEMPTS = int(os.environ.get("WEBSTACK_DESTROY_ATTEMPTS", "4"))
DESTROY_RETRY_WAIT_S = float(os.environ.get("WEBSTACK_DESTROY_RETRY_WAIT_S", "900"))


class MissingPrerequisiteError(Exception):
    """Something the user must install, set or fix first; the message says what (exit 2)."""


class UnexpectedOutputError(Exception):
    """The CLI printed something that is not what its command documents (exit 1)."""


def backend_env(environ: Mapping[str, str]) -> dict[str, str]:
    """The environment every pulumi command runs with: an explicit backend, never a prompt."""
    env = dict(environ)
    if not env.get("PULUMI_BACKEND_URL"):
        if env.get("CI", "").lower() == "true":
            # A runner's disk is thrown away with the job: state there cannot destroy anything later.
            raise MissingPrerequisiteError(
                "CI runs need a remote state backend: set PULUMI_BACKEND_URL (s3://BUCKET, "
                "https://api.pulumi.com, ...); a local .pulumi-state/ is lost with the runner"
            )
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
        # Set once a pulumi had to be terminated or killed: its stack lock (file/S3 backends) or its
        # "update in progress" (Pulumi Cloud) is left behind, and only `pulumi cancel` clears it.
        self.forced_stop = False

    def run(self, *args: str, capture: bool = False, tee: bool = False) -> str:
        """Run pulumi; ``capture`` returns its stdout, ``tee`` also shows it as it comes (and a
        failure's CalledProcessError carries it as ``output``)."""
        command = ["pulumi", *args, "--non-interactive"]
        print("+ " + " ".join(command), flush=True)
        process = subprocess.Popen(
            command, cwd=ROOT, env=self.env, text=True, stdout=subprocess.PIPE if capture or tee else None
        )
        try:
            if tee and process.stdout is not None:
                lines = []
                for line in process.stdout:
                    print(line, end="", flush=True)
                    lines.append(line)
                process.wait()
                stdout = "".join(lines)
            else:
                stdout, _ = process.communicate()
        except KeyboardInterrupt:
            # Cancelled (Ctrl-C, or CI's SIGTERM turned into this): stop pulumi within a bounded
            # time, so the queued destroy can still run.
            self._stop(process)
            raise
        if process.returncode != 0:
            raise subprocess.CalledProcessError(process.returncode, command, output=stdout if tee else None)
        return stdout or ""

    def _stop(self, process: subprocess.Popen[str]) -> None:
        steps: list[tuple[signal.Signals, float | None]] = [
            (signal.SIGINT, STOP_GRACE_S),
            (signal.SIGTERM, TERM_GRACE_S),
            (signal.SIGKILL, None),
        ]
        for signum, grace in steps:
            if process.poll() is not None:
                return
            if signum is not signal.SIGINT:
                self.forced_stop = True
                print(f"pulumi did not stop; sending {signum.name}", file=sys.stderr, flush=True)
            process.send_signal(signum)
            try:
                process.wait(timeout=grace)
                return
            except subprocess.TimeoutExpired:
                continue
            except KeyboardInterrupt:
                continue  # interrupted again while waiting: the next, harder signal now

    def cancel(self, stack: str) -> None:
        """Clear a stale lock before a destroy. `pulumi cancel` on a file/S3 (DIY) backend deletes
        every lock file of the stack, and no lock is no error (pkg/backend/diy CancelCurrentUpdate);
        on Pulumi Cloud it cancels the stack's active update, and with nothing to cancel it may
        fail, which is harmless here: the destroy that follows says whether the stack is free."""
        try:
            self.run("cancel", "--yes", "--stack", stack)
        except subprocess.CalledProcessError as error:
            print(f"note: `pulumi cancel` exited {error.returncode}: no update to cancel", flush=True)


def parse_json(text: str, command: str, kind: type[dict[str, Any]] | type[list[Any]]) -> Any:
    """``command``'s --json output as ``kind``, or UnexpectedOutputError naming what came instead."""
    try:
        value = json.loads(text)
    except ValueError:
        shown = text.strip()[:60] or "nothing"
        raise UnexpectedOutputError(f"`{command}` printed {shown!r}, not JSON") from None
    if not isinstance(value, kind):
        raise UnexpectedOutputError(
            f"`{command}` printed a JSON {type(value).__name__}; expected a JSON "
            f"{'object' if kind is dict else 'array'}"
        )
    return value


def example_config(stack: str) -> dict[str, str]:
    """The plain config of a committed example stack file (Pulumi.<stack>.yaml)."""
    path = ROOT / f"Pulumi.{stack}.yaml"
    if not path.is_file():
        raise MissingPrerequisiteError(f"no example stack {stack}: Pulumi.{stack}.yaml does not exist")
    try:
        config = read_stack_file(path)
    except StackFileError as error:
        raise MissingPrerequisiteError(str(error)) from None
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


def clear_outputs() -> None:
    """A deploy starts with no outputs files: a failed one can never leave another's behind."""
    for name in OUTPUT_FILES:
        (OUTPUTS_DIR / name).unlink(missing_ok=True)


def write_outputs(outputs: Mapping[str, Any]) -> None:
    """Both files from one value, each written whole (temp file + rename); if either cannot be put
    in place, neither is left, so the two never disagree."""
    texts = {
        "outputs.json": json.dumps(outputs, indent=2, sort_keys=True) + "\n",
        "flat-outputs.json": json.dumps(flatten_outputs(outputs), indent=2, sort_keys=True) + "\n",
    }
    OUTPUTS_DIR.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[Path, Path]] = []
    try:
        for name, text in texts.items():
            handle, temp_name = tempfile.mkstemp(dir=OUTPUTS_DIR, prefix=f".{name}.")
            staged.append((Path(temp_name), OUTPUTS_DIR / name))
            with os.fdopen(handle, "w") as file:
                file.write(text)
        # Both are complete on disk before either is renamed into place.
        for temp, final in staged:
            os.replace(temp, final)
    except BaseException:
        clear_outputs()
        raise
    finally:
        for temp, _ in staged:
            temp.unlink(missing_ok=True)


def shown(path: Path) -> str:
    """A path as the user should read it: relative to the repo when inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def prepare(stack: str) -> Pulumi:
    """Check every prerequisite, in order, before anything is touched."""
    require_pulumi()
    env = backend_env(os.environ)
    require_aws_credentials()
    if env["PULUMI_BACKEND_URL"] == STATE_DIR.as_uri():
        STATE_DIR.mkdir(exist_ok=True)
    return Pulumi(env)


def default_policy_config(stack: str, policy_config: str | None = None) -> str | None:
    """The given policy config, else the stack's own Pulumi.<stack>.policy.json when it has one."""
    if policy_config:
        return policy_config
    own = ROOT / f"Pulumi.{stack}.policy.json"
    return str(own) if own.is_file() else None


def preview(stack: str, extra: Sequence[str] = (), policy_config: str | None = None) -> int:
    """`pulumi preview --policy-pack` when the CLI, a backend and credentials are there; otherwise
    the offline plan. Either way, say which ran and why."""
    policy_config = default_policy_config(stack, policy_config)
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


def deploy(
    stack: str,
    config: Mapping[str, str] | None = None,
    policy_config: str | None = None,
    pulumi: Pulumi | None = None,
) -> None:
    pulumi = pulumi or prepare(stack)
    policy_config = default_policy_config(stack, policy_config)
    clear_outputs()
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
    output = ["stack", "output", "--json", "--show-secrets", "--stack", stack]
    write_outputs(parse_json(pulumi.run(*output, capture=True), "pulumi stack output --json", dict))


def integration(stack: str, command: Sequence[str] | None = None) -> int:
    flat = OUTPUTS_DIR / "flat-outputs.json"
    if not flat.is_file():
        raise MissingPrerequisiteError(f"no {shown(flat)}: run `nox -s deploy -- {stack}` first")
    env = {**os.environ, "WEBSTACK_OUTPUTS": str(flat), "WEBSTACK_STACK": stack}
    probes = list(command or [sys.executable, "-m", "pytest", "integration", "-v"])
    return subprocess.run(probes, cwd=ROOT, env=env, check=False).returncode


def destroy(
    stack: str, keep_config: bool = True, pulumi: Pulumi | None = None, cancel_first: bool = False
) -> None:
    pulumi = pulumi or prepare(stack)
    if cancel_first or pulumi.forced_stop:
        pulumi.cancel(stack)
    for attempt in range(1, DESTROY_ATTEMPTS + 1):
        try:
            pulumi.run("destroy", "--yes", "--skip-preview", "--stack", stack, tee=True)
            break
        except subprocess.CalledProcessError as error:
            if REPLICATED_FUNCTION not in (error.output or "") or attempt == DESTROY_ATTEMPTS:
                raise
            print(
                f"a Lambda@Edge function still has replicas AWS has not removed; destroying {stack} "
                f"again in {DESTROY_RETRY_WAIT_S:g} s (attempt {attempt + 1} of {DESTROY_ATTEMPTS})",
                file=sys.stderr,
                flush=True,
            )
            time.sleep(DESTROY_RETRY_WAIT_S)
    rm = ["stack", "rm", "--yes", stack]
    if keep_config:
        # Example stacks' Pulumi.<stack>.yaml are committed; stack rm would delete them.
        rm.insert(3, "--preserve-config")
    pulumi.run(*rm)


def ephemeral_suffix(environ: Mapping[str, str], now: float | None = None, tag: str = "") -> str:
    """A suffix unique to this CI run (or, locally, to this minute) and to the copied stack (its
    tag), valid for every AWS name: <tag><run>-<attempt>, or <tag>e<yymmddHHMM> locally."""
    run_id, attempt = environ.get("GITHUB_RUN_ID"), environ.get("GITHUB_RUN_ATTEMPT", "1")
    if run_id and run_id.isdigit() and attempt.isdigit():
        rest = f"{run_id}-{attempt}"
    else:
        rest = "e" + time.strftime("%y%m%d%H%M", time.gmtime(now))
    # Long run ids lose their leading digits, never the tag or the attempt.
    return tag + rest[-(MAX_SUFFIX - len(tag)) :].lstrip("-")


def raise_on_sigterm(signum: int, _frame: FrameType | None) -> None:
    # CI cancellation sends SIGTERM; turn it into an exception so `finally` still destroys.
    raise KeyboardInterrupt(f"signal {signum}")


def ephemeral_stack(source_stack: str, environ: Mapping[str, str]) -> tuple[str, str]:
    """(stack name, suffix) of this run's copy of ``source_stack``, e.g. serverless-se4242-1."""
    suffix = ephemeral_suffix(environ, tag=stack_tag(source_stack))
    return f"{source_stack.rsplit('-', 1)[0]}-{suffix}", suffix


def listed_stacks(pulumi: Pulumi) -> set[str]:
    """The stack names the backend lists (`pulumi stack ls --json`: an array of {name, ...})."""
    entries = parse_json(pulumi.run("stack", "ls", "--json", capture=True), "pulumi stack ls --json", list)
    names = set()
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise UnexpectedOutputError(f"`pulumi stack ls --json` listed {entry!r}, not a stack with a name")
        names.add(entry["name"].rsplit("/", 1)[-1])
    return names


def teardown(source_stack: str = DEFAULT_EPHEMERAL_SOURCE) -> None:
    """Destroy this CI run's ephemeral stack if a killed job left it behind."""
    stack, _ = ephemeral_stack(source_stack, os.environ)
    pulumi = prepare(stack)
    # Only a stack the backend does not list is absent; any other failure must surface.
    if stack not in listed_stacks(pulumi):
        print(f"no stack {stack}: nothing to tear down", flush=True)
        return
    # The stack is left only when the job was killed or its destroy failed: a killed pulumi may
    # still hold the stack's lock, which would refuse the destroy.
    destroy(stack, keep_config=False, pulumi=pulumi, cancel_first=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.lifecycle", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=("preview", "deploy", "integration", "destroy", "teardown"))
    parser.add_argument("stack", nargs="?", help="stack name (teardown: the example stack that was copied)")
    parser.add_argument("--policy-config", help="policy pack config JSON (pulumi --policy-pack-config)")
    args, extra = parser.parse_known_args(argv)
    if extra and args.action != "preview":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.action not in ("preview", "teardown") and not args.stack:
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
        else:
            teardown(args.stack or DEFAULT_EPHEMERAL_SOURCE)
    except MissingPrerequisiteError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_PREREQUISITE
    except UnexpectedOutputError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("error: cancelled", file=sys.stderr)
        return EXIT_CANCELLED
    except subprocess.CalledProcessError as error:
        print(f"error: `{' '.join(error.cmd)}` failed with exit code {error.returncode}", file=sys.stderr)
        return error.returncode or 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
