"""Sessions: `nox -s tests` (default), `nox -s preview -- STACK`, `nox -s bench`.

Each session is thin: it installs the pinned requirements once per venv and calls one tool.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import nox

ROOT = Path(__file__).parent
DEV_REQUIREMENTS = ("requirements.txt", "requirements-dev.txt", "policy_pack/requirements.txt")
DEFAULT_STACK = "serverless-dev"

nox.options.sessions = ["tests"]
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True


def install_dev(session: nox.Session) -> None:
    """pip install -r requirements-dev.txt, skipped while the pinned files are unchanged."""
    digest = hashlib.sha256(b"".join((ROOT / name).read_bytes() for name in DEV_REQUIREMENTS)).hexdigest()
    marker = Path(session.virtualenv.location) / ".webstack-requirements"
    if marker.is_file() and marker.read_text() == digest:
        return
    session.install("--upgrade", "pip")
    session.install("-r", "requirements-dev.txt")
    marker.write_text(digest)


@nox.session
def tests(session: nox.Session) -> None:
    """Everything that needs no cloud: lint, types, unit/policy/lambda tests."""
    install_dev(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "program", "plan", "policy_pack")
    session.run("pytest", "-n", "auto", *session.posargs)


def pulumi_logged_in() -> bool:
    if shutil.which("pulumi") is None:
        return False
    return subprocess.run(["pulumi", "whoami"], capture_output=True, check=False).returncode == 0


@nox.session
def preview(session: nox.Session) -> None:
    """`pulumi preview --policy-pack policy_pack` with a logged-in CLI, else the offline plan."""
    stack, *extra = session.posargs or [DEFAULT_STACK]
    install_dev(session)
    if pulumi_logged_in():
        session.log(f"pulumi CLI found and logged in: running `pulumi preview` of {stack} (real engine)")
        session.run("pulumi", "install", external=True)
        session.run(
            "pulumi", "preview", "--stack", stack, "--policy-pack", "policy_pack", *extra, external=True
        )
        return
    session.log(f"no logged-in pulumi CLI: running the offline plan of {stack} (no Pulumi engine)")
    session.run("python", "-m", "plan", stack, *extra)


@nox.session
def bench(session: nox.Session) -> None:
    """Print the plan's capture and gate times (and, once they exist, the Lambdas' figures)."""
    install_dev(session)
    for script in sorted((ROOT / "bench").glob("*_bench.py")):
        session.run("python", str(script.relative_to(ROOT)))
