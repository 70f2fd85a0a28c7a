"""The floor under `python -m plan STACK`: the same program, in a fresh process, under the SDK's
mock monitor (pulumi.runtime.mocks.MockMonitor with the plan's answers), without the plan's
capture, child process, policy gate or report. Used by bench/plan_process_bench.py:

    python bench/plan_floor.py PROJECT_DIR STACK

A whole-process plan can never be faster than this: it is Python's start, the SDK's and the
providers' imports, and the program itself.
"""

from __future__ import annotations

import asyncio
import logging
import runpy
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pulumi import runtime  # noqa: E402
from pulumi.runtime import mocks  # noqa: E402
from pulumi.runtime.settings import ROOT as ROOT_RESOURCE  # noqa: E402

from plan.mocks import OfflineMocks  # noqa: E402
from plan.project import load_stack  # noqa: E402


def main() -> None:
    spec = load_stack(Path(sys.argv[1]), sys.argv[2])
    monitor = mocks.MockMonitor(OfflineMocks(config=dict(spec.config)))
    runtime.reset_options(project=spec.project, stack=spec.stack, preview=False)
    runtime.configure(
        mocks.MockSettings(
            monitor=monitor,
            monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
            engine=mocks.MockEngine(logging.getLogger("floor")),
            project=spec.project,
            stack=spec.stack,
            dry_run=False,
            organization="organization",
            root_directory=str(spec.project_dir),
            callbacks=None,
        )
    )
    ROOT_RESOURCE.set(None)
    runtime.set_all_config(dict(spec.config), list(spec.secret_keys))
    sys.path.insert(0, str(spec.main_dir))
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def program() -> None:
        runpy.run_path(str(spec.main_dir), run_name="__main__")

    loop.run_until_complete(runtime.run_in_stack(program))
    print(len(monitor.resources))


if __name__ == "__main__":
    main()
