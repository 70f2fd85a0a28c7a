"""Sessions: `nox -s tests` (default), `nox -s preview -- STACK`, `nox -s bench`.

Each session is thin: it installs the pinned requirements once per venv and calls one tool.
"""

from __future__ import annotations

import hashlib
import shutil
import sys
from pathlib import Path

import nox

ROOT = Path(__file__).parent
DEV_REQUIREMENTS = "requirements-dev.txt"
# The preview's own, smaller set: a fresh clone previews in well under a minute.
PREVIEW_REQUIREMENTS = "requirements-preview.txt"
# uv (pinned in requirements-nox.txt, installed by tools/nox) where present, else virtualenv + pip.
FAST_BACKEND = "uv|virtualenv"
DEFAULT_STACK = "serverless-dev"
CHECKOV_REQUIREMENTS = ROOT / "requirements-checkov.txt"

nox.options.sessions = ["tests"]
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True


def _requirement_files(name: str) -> list[Path]:
    """``name`` and every file it pulls in with ``-r``, in order (their bytes decide reinstalls)."""
    path = ROOT / name
    found = [path]
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("-r "):
            included = (path.parent / line[3:].strip()).relative_to(ROOT)
            found += [p for p in _requirement_files(str(included)) if p not in found]
    return found


def install_dev(session: nox.Session, requirements: str = DEV_REQUIREMENTS) -> None:
    """Install the pinned ``requirements`` (uv or pip), skipped while those files are unchanged."""
    files = _requirement_files(requirements)
    digest = hashlib.sha256(b"".join(f.read_bytes() for f in files)).hexdigest()
    marker = Path(session.virtualenv.location) / f".webstack-{Path(requirements).stem}"
    if marker.is_file() and marker.read_text() == digest:
        return
    if session.venv_backend != "uv":  # a uv venv has no pip; uv installs into it
        session.install("--upgrade", "pip")
    session.install("-r", requirements)
    marker.write_text(digest)


# The Node packages: (folder, npm scripts run after `npm ci`). The frontend's build is the dist/ that
# the browser test (unit/services/test_frontend_e2e.py) loads, so it runs before pytest.
NODE_PACKAGES = (
    ("lambdas/catalog_api", ("test",)),
    ("lambdas/catalog_edge", ("test",)),
    ("services/frontend", ("test", "build")),
)


def node_packages(session: nox.Session) -> None:
    """npm ci from each committed lockfile, then its tests (PostgreSQL and moto are started by them)."""
    env = {"MOTO_SERVER": str(Path(session.bin) / "moto_server")}
    for folder, scripts in NODE_PACKAGES:
        session.run("npm", "ci", "--no-audit", "--no-fund", "--prefix", folder, external=True)
        for script in scripts:
            session.run("npm", "--prefix", folder, "run", script, external=True, env=env)


def checkov_env(session: nox.Session) -> dict[str, str]:
    """checkov in a virtualenv of its own (its dependency tree clashes with pulumi's grpcio/protobuf
    pins), installed once per pin with uv where tools/nox put it, else pip; the checkov tests fail,
    never skip, when it is missing."""
    venv = ROOT / ".nox" / "checkov"
    marker = venv / ".webstack-requirements"
    digest = hashlib.sha256(CHECKOV_REQUIREMENTS.read_bytes()).hexdigest()
    if not (marker.is_file() and marker.read_text() == digest):
        python = venv / "bin" / "python"
        uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
        if uv:
            session.run(
                uv, "venv", "--quiet", "--clear", "--python", sys.executable, str(venv), external=True
            )
            session.run(
                uv,
                "pip",
                "install",
                "--quiet",
                "--python",
                str(python),
                "-r",
                str(CHECKOV_REQUIREMENTS),
                external=True,
            )
        else:
            session.run(sys.executable, "-m", "venv", "--clear", str(venv), external=True)
            session.run(
                str(python), "-m", "pip", "install", "-q", "-r", str(CHECKOV_REQUIREMENTS), external=True
            )
        marker.write_text(digest)
    return {"CHECKOV_BIN": str(venv / "bin" / "checkov"), "WEBSTACK_REQUIRE_CHECKOV": "1"}


@nox.session
def tests(session: nox.Session) -> None:
    """Everything that needs no cloud: lint, types, the Node apps' tests, then every pytest test."""
    install_dev(session)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy", "program", "plan", "policy_pack")
    node_packages(session)
    session.run("pytest", "-n", "auto", *session.posargs, env=checkov_env(session))


@nox.session(venv_backend=FAST_BACKEND)
def preview(session: nox.Session) -> None:
    """`pulumi preview --policy-pack policy_pack` with a ready CLI, else the offline plan (it says which)."""
    install_dev(session, PREVIEW_REQUIREMENTS)
    session.run("python", "-m", "tools.lifecycle", "preview", *(session.posargs or [DEFAULT_STACK]))


def lifecycle(session: nox.Session, action: str) -> None:
    """The deploy lifecycle (tools/lifecycle.py): needs the Pulumi CLI and AWS credentials."""
    install_dev(session)
    session.run("python", "-m", "tools.lifecycle", action, *session.posargs)


@nox.session(default=False)
def deploy(session: nox.Session) -> None:
    """`nox -s deploy -- STACK`: pulumi up --policy-pack policy_pack, then cfn-outputs/*.json."""
    lifecycle(session, "deploy")


@nox.session(default=False)
def integration(session: nox.Session) -> None:
    """`nox -s integration -- STACK`: the tenacity-retried probes against the deployed outputs."""
    lifecycle(session, "integration")


@nox.session(default=False)
def destroy(session: nox.Session) -> None:
    """`nox -s destroy -- STACK`: pulumi destroy, then pulumi stack rm (config file kept)."""
    lifecycle(session, "destroy")


def run_pipeline(session: nox.Session) -> None:
    install_dev(session)
    session.run("python", "-m", "tools.pipeline", *session.posargs)


@nox.session(default=False)
def pipeline(session: nox.Session) -> None:
    """`nox -s pipeline -- STACK`: tests -> offline gate -> deploy a suffixed copy -> probes -> destroy.

    tools/pipeline.py: nothing is deployed unless the tests and the gate pass."""
    run_pipeline(session)


@nox.session(default=False)
def ephemeral(session: nox.Session) -> None:
    """The same as `nox -s pipeline` (its former name)."""
    run_pipeline(session)


@nox.session(default=False)
def teardown(session: nox.Session) -> None:
    """CI backstop after a killed job: cancel a stale lock, destroy this run's copy if it is left."""
    lifecycle(session, "teardown")


@nox.session(venv_backend=FAST_BACKEND)
def bench(session: nox.Session) -> None:
    """Print the plan's figures (whole process beside its floor, capture/gate, scaling) and the Lambdas'."""
    install_dev(session)
    env = checkov_env(session)  # tfplan_bench times checkov beside the pack's gate
    for script in sorted((ROOT / "bench").glob("*_bench.py")):
        session.run("python", str(script.relative_to(ROOT)), env=env)
