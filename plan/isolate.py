"""Run the capture in a child process, so that the program under plan cannot decide the plan's outcome.

A Pulumi program is arbitrary Python: in-process, ``sys.exit(0)`` would end the plan with exit 0
and no policy run (CI would read a pass), ``os._exit`` cannot be caught at all, and a program that
never returns would hang the plan. The child runs :func:`plan.capture.capture` and writes one
result file (the graph, or the one error line); the parent trusts nothing else:

- no result file: the program ended the process (``os._exit``, a signal): exit code reported;
- past ``--timeout``: the child's whole process group is killed;
- the child exits right after writing (``os._exit``), so the SDK's leftover futures and tasks
  cannot print asyncio noise after the error line.

The child is a fresh interpreter (not a fork): it imports the program's SDKs itself, which is what
the plan would have to do anyway, and the parent meanwhile starts the policy pack.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pulumi

from plan.capture import Graph, GraphError, ProgramError, ProgramExitError, capture
from plan.project import StackSpec

ROOT = Path(__file__).resolve().parent.parent
CHILD = "import sys; sys.path.insert(0, sys.argv[1]); import plan.isolate as i; i.child_main(sys.argv[2])"


class CaptureError(Exception):
    """The capture reached no graph: ``line`` is the whole story, ``detail`` a traceback if any."""

    def __init__(self, line: str, detail: str = "") -> None:
        super().__init__(line)
        self.line = line
        self.detail = detail


def _spec_to_json(spec: StackSpec) -> dict[str, Any]:
    return {
        "project": spec.project,
        "stack": spec.stack,
        "project_dir": str(spec.project_dir),
        "main_dir": str(spec.main_dir),
        "config": spec.config,
        "secret_keys": sorted(spec.secret_keys),
    }


def _spec_from_json(data: dict[str, Any]) -> StackSpec:
    return StackSpec(
        project=data["project"],
        stack=data["stack"],
        project_dir=Path(data["project_dir"]),
        main_dir=Path(data["main_dir"]),
        config=data["config"],
        secret_keys=frozenset(data["secret_keys"]),
    )


class RunningCapture:
    """A capture under way in a child process; :meth:`result` waits for it, :meth:`stop` ends it."""

    def __init__(self, spec: StackSpec, preview: bool) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="plan-capture-")
        work = Path(self._dir.name)
        (work / "request.json").write_text(
            json.dumps({"spec": _spec_to_json(spec), "preview": preview}), encoding="utf-8"
        )
        self._result = work / "result.json"
        self.started = time.monotonic()
        # Own session: a timeout kills whatever the program started too. stdout/stderr are the
        # plan's, so the program's own prints appear where they would under `pulumi preview`.
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(ROOT), str(work)],
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )

    def result(self, timeout: float) -> Graph:
        remaining = max(0.0, timeout - (time.monotonic() - self.started))
        try:
            code = self.process.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            self.stop()
            raise CaptureError(
                f"the program did not finish within {timeout:g} s (--timeout SECONDS)"
            ) from None
        if not self._result.is_file():
            if code < 0:
                raise CaptureError(f"the program was killed by signal {signal.Signals(-code).name}")
            raise CaptureError(f"the program exited with code {code}")
        data = json.loads(self._result.read_text(encoding="utf-8"))
        if "graph" not in data:
            raise CaptureError(data["line"], data.get("detail", ""))
        return Graph.from_json(data["graph"])

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self._dir.cleanup()


def start(spec: StackSpec, preview: bool = False) -> RunningCapture:
    return RunningCapture(spec, preview)


def _outcome(spec: StackSpec, preview: bool) -> dict[str, Any]:
    try:
        return {"graph": capture(spec, preview=preview).to_json()}
    except ProgramExitError as error:
        return {"line": str(error)}
    except pulumi.RunError as error:
        # The program's own ConfigError (or any RunError): its message is the whole story.
        return {"line": str(error)}
    except GraphError as error:
        return {"line": str(error)}
    except ProgramError as error:
        line = f"the program raised {error}{error.location(spec.project_dir)}"
        return {"line": line, "detail": error.detail}


def child_main(work_dir: str) -> None:
    """The child: capture, write result.json atomically, exit at once (see the module docstring)."""
    work = Path(work_dir)
    request = json.loads((work / "request.json").read_text(encoding="utf-8"))
    outcome = _outcome(_spec_from_json(request["spec"]), request["preview"])
    partial = work / "result.json.partial"
    partial.write_text(json.dumps(outcome), encoding="utf-8")
    os.replace(partial, work / "result.json")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
