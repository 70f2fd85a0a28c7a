"""A fake `pulumi` for the lifecycle and pipeline tests: it records every call and does what the
FAKE_PULUMI_* variables say, so the orchestration is checked without a CLI, a backend or AWS.

    FAKE_PULUMI_LOG       file that gets one JSON array per call (and per signal seen)
    FAKE_PULUMI_FAIL      verbs ("up", "stack ls", ...) that exit 7
    FAKE_PULUMI_HANG      verbs that wait for SIGINT, then exit 255 (a well-behaved CLI)
    FAKE_PULUMI_STUBBORN  verbs that log and ignore SIGINT and SIGTERM (only SIGKILL stops them)
    FAKE_PULUMI_READY     file created once a hanging verb is waiting
    FAKE_PULUMI_STACKS    what `stack ls --json` prints (default [])
    FAKE_PULUMI_REPLICATED  how many `destroy` calls fail on a Lambda@Edge replica first (default 0)
    FAKE_PULUMI_OUTPUT    what `stack output --json` prints (default: two outputs)
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACK = str(ROOT / "policy_pack")
NI = "--non-interactive"

SCRIPT = """\
#!{python}
import json, os, signal, sys, time
args = sys.argv[1:]
def log(entry):
    with open(os.environ["FAKE_PULUMI_LOG"], "a") as handle:
        handle.write(json.dumps(entry) + "\\n")
log(args)
verb = " ".join(a for a in args[:2] if not a.startswith("-"))
def listed(name):
    return verb in os.environ.get(name, "").split(",")
if listed("FAKE_PULUMI_FAIL"):
    sys.exit(7)
if verb == "destroy" and int(os.environ.get("FAKE_PULUMI_REPLICATED", "0")):
    failed = [line for line in open(os.environ["FAKE_PULUMI_LOG"]) if line.startswith('["destroy"')]
    if len(failed) <= int(os.environ["FAKE_PULUMI_REPLICATED"]):
        print("error: deleting urn:...:Function::edge-auth: InvalidParameterValueException: "
              "Lambda was unable to delete arn:aws:lambda:us-east-1:123456789012:function:edge-auth-dev:1 "
              "because it is a replicated function.")
        sys.exit(1)
if listed("FAKE_PULUMI_HANG"):
    def interrupted(*_):
        log(["<SIGINT>"])
        sys.exit(255)
    signal.signal(signal.SIGINT, interrupted)
    open(os.environ["FAKE_PULUMI_READY"], "w").close()
    time.sleep(60)
if listed("FAKE_PULUMI_STUBBORN"):
    def ignored(signum, _frame):
        log(["<ignored " + signal.Signals(signum).name + ">"])
    signal.signal(signal.SIGINT, ignored)
    signal.signal(signal.SIGTERM, ignored)
    open(os.environ["FAKE_PULUMI_READY"], "w").close()
    time.sleep(90)  # longer than any test waits; SIGKILL ends it sooner
if verb == "stack ls":
    print(os.environ.get("FAKE_PULUMI_STACKS", "[]"))
if verb == "stack output":
    outputs = {{"cloudfrontUrl": "https://d1.cloudfront.net", "privateSubnetIds": ["subnet-1", "subnet-2"]}}
    print(os.environ["FAKE_PULUMI_OUTPUT"] if "FAKE_PULUMI_OUTPUT" in os.environ else json.dumps(outputs))
"""

# A stand-in for a pipeline stage: records its name in the fake's log and exits with the code given.
MARK = (
    "import json, os, sys; "
    "open(os.environ['FAKE_PULUMI_LOG'], 'a').write(json.dumps([sys.argv[1]]) + '\\n'); "
    "sys.exit(int(sys.argv[2]))"
)


def install(bin_dir: Path) -> Path:
    bin_dir.mkdir(parents=True, exist_ok=True)
    fake = bin_dir / "pulumi"
    fake.write_text(textwrap.dedent(SCRIPT.format(python=sys.executable)))
    fake.chmod(0o755)
    return fake


def stand_in(name: str, code: int = 0) -> list[str]:
    return [sys.executable, "-c", MARK, name, str(code)]


def run(env: dict[str, str], module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def calls(env: dict[str, str]) -> list[list[str]]:
    log = Path(env["FAKE_PULUMI_LOG"])
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def deploy_calls(stack: str, policy_config: str | None = None) -> list[list[str]]:
    """What deploy runs after `stack select` and any `config set`."""
    config = ["--policy-pack-config", policy_config] if policy_config else []
    return [
        ["install", NI],
        ["install", "--cwd", PACK, NI],
        ["up", "--yes", "--stack", stack, "--policy-pack", PACK, *config, NI],
        ["stack", "output", "--json", "--show-secrets", "--stack", stack, NI],
    ]


def destroy_calls(stack: str, keep_config: bool) -> list[list[str]]:
    rm = (
        ["stack", "rm", "--yes", "--preserve-config", stack, NI]
        if keep_config
        else ["stack", "rm", "--yes", stack, NI]
    )
    return [["destroy", "--yes", "--skip-preview", "--stack", stack, NI], rm]
