"""Run a Pulumi Python program under the SDK's mock monitor and capture its resource graph.

The program runs the way the Python language host runs it (``run_in_stack`` over ``runpy``), but
its resource monitor is a :class:`CapturingMonitor`: every ``RegisterResourceRequest`` is recorded
in wire form (camelCase engine names, unknowns and secrets kept) together with the options the
engine would see. Default providers are synthesized as the engine would. Nothing here talks to a
cloud or to a Pulumi engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import runpy
import site
import sys
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi import runtime
from pulumi.runtime import mocks as pulumi_mocks
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.settings import ROOT

from plan.mocks import OfflineMocks
from plan.project import StackSpec

STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"


class ProgramError(Exception):
    """The program under plan raised; ``str()`` is one line, ``detail`` the program's traceback."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.detail = detail

    def location(self, project_dir: Path) -> str:
        """`` (at prog/__main__.py:4)``: the last traceback frame inside the project, or ""."""
        cause = self.__cause__
        frames = traceback.extract_tb(cause.__traceback__) if cause else []
        inside = [f for f in frames if f.filename.startswith(str(project_dir))]
        if not inside:
            return ""
        frame = inside[-1]
        return f" (at {Path(frame.filename).relative_to(project_dir)}:{frame.lineno})"


class ProgramExitError(Exception):
    """The program called sys.exit or was interrupted: the plan's exit code is not the program's."""

    def __init__(self, code: int) -> None:
        super().__init__(f"the program exited with code {code}")
        self.code = code


class GraphError(Exception):
    """The program registered a graph the engine would refuse (one line, exit 2)."""


@dataclass
class CapturedResource:
    """One registration, as the engine would hold it before Check/Diff."""

    urn: str
    type: str
    name: str
    custom: bool
    parent: str
    provider: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    options: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {
            "urn": self.urn,
            "type": self.type,
            "name": self.name,
            "custom": self.custom,
            "parent": self.parent,
            "provider": self.provider,
            "inputs": self.inputs,
            "outputs": self.outputs,
            "options": self.options,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CapturedResource:
        return cls(**{key: data[key] for key in cls.__dataclass_fields__})


@dataclass
class Graph:
    """Everything a program registered, in registration order, plus its stack outputs."""

    project: str
    stack: str
    preview: bool
    resources: list[CapturedResource] = field(default_factory=list)
    stack_outputs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def by_type(self, type_token: str) -> list[CapturedResource]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> CapturedResource:
        found = [r for r in self.by_type(type_token) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"expected one {type_token} named {name!r}, found {len(found)}")
        return found[0]

    def get(self, urn: str) -> CapturedResource:
        for resource in self.resources:
            if resource.urn == urn:
                return resource
        raise LookupError(f"no resource with URN {urn}")

    def children(self, parent_urn: str) -> list[CapturedResource]:
        return [r for r in self.resources if r.parent == parent_urn]

    def to_json(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "stack": self.stack,
            "preview": self.preview,
            "resources": [r.to_json() for r in self.resources],
            "stack_outputs": self.stack_outputs,
            "warnings": self.warnings,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Graph:
        resources = [CapturedResource.from_json(r) for r in data["resources"]]
        return cls(
            data["project"],
            data["stack"],
            data["preview"],
            resources,
            data["stack_outputs"],
            data["warnings"],
        )


def duration_seconds(value: str) -> float:
    """Parse a Go duration as Pulumi's CustomTimeouts use it ("90m", "1h30m", "45s") to seconds."""
    units = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
    total, number = 0.0, ""
    index = 0
    while index < len(value):
        char = value[index]
        if char in "0123456789.":  # str.isdigit would take any script's digits
            number += char
            index += 1
            continue
        unit = "ms" if value.startswith("ms", index) else char
        if unit not in units or not number:
            raise ValueError(f"bad duration {value!r}")
        total += float(number) * units[unit]
        number = ""
        index += len(unit)
    if number:
        raise ValueError(f"bad duration {value!r}: missing unit")
    if not value:
        raise ValueError("bad duration ''")
    return total


def _options(request: Any) -> dict[str, Any]:
    timeouts = request.customTimeouts
    custom_timeouts = {
        key: getattr(timeouts, key) for key in ("create", "update", "delete") if getattr(timeouts, key)
    }
    return {
        "protect": bool(request.protect) if request.HasField("protect") else False,
        "retainOnDelete": bool(request.retainOnDelete) if request.HasField("retainOnDelete") else False,
        "ignoreChanges": list(request.ignoreChanges),
        "replaceOnChanges": list(request.replaceOnChanges),
        "customTimeouts": custom_timeouts,
        "deleteBeforeReplace": request.deleteBeforeReplace if request.deleteBeforeReplaceDefined else None,
        "additionalSecretOutputs": list(request.additionalSecretOutputs),
        "deletedWith": request.deletedWith,
        "dependencies": list(request.dependencies),
        "propertyDependencies": {
            key: list(value.urns) for key, value in request.propertyDependencies.items()
        },
    }


class CapturingMonitor(pulumi_mocks.MockMonitor):
    """A MockMonitor that records every registration the way the engine would see it."""

    def __init__(self, mocks: OfflineMocks, project: str, stack: str) -> None:
        super().__init__(mocks)
        self.offline_mocks = mocks
        self.project = project
        self.stack = stack
        self.captured: list[CapturedResource] = []
        self.stack_outputs: dict[str, Any] = {}
        self._types_by_urn: dict[str, str] = {}
        self._default_providers: dict[str, str] = {}

    def make_urn(self, parent: str, type_: str, name: str) -> str:
        # The engine qualifies a child's type with its parent's, except under the root stack.
        qualified = type_
        if parent and self._types_by_urn.get(parent) != STACK_TYPE:
            qualified = parent.split("::")[2] + "$" + type_
        return f"urn:pulumi:{self.stack}::{self.project}::{qualified}::{name}"

    def _default_provider(self, type_token: str, version: str) -> str:
        package = type_token.split(":")[0]
        if package in self._default_providers:
            return self._default_providers[package]
        name = "default" + ("_" + version.replace(".", "_") if version else "")
        provider_type = PROVIDER_PREFIX + package
        urn = f"urn:pulumi:{self.stack}::{self.project}::{provider_type}::{name}"
        inputs = self.offline_mocks.provider_config(package)
        if version:
            inputs["version"] = version
        provider_id = self.offline_mocks.provider_id(name)
        self.captured.append(
            CapturedResource(
                urn=urn,
                type=provider_type,
                name=name,
                custom=True,
                parent="",
                provider="",
                inputs=dict(inputs),
                outputs=dict(inputs),
                options=_options(resource_pb2.RegisterResourceRequest()),
            )
        )
        self._types_by_urn[urn] = provider_type
        reference = f"{urn}::{provider_id}"
        self._default_providers[package] = reference
        return reference

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        response = super().RegisterResource(request)
        urn = response.urn
        self._types_by_urn[urn] = request.type
        if request.type == STACK_TYPE:
            return response
        provider = request.provider
        if request.custom and not provider and not request.type.startswith(PROVIDER_PREFIX):
            provider = self._default_provider(request.type, request.version)
        outputs = json_format.MessageToDict(response.object) if response.object else {}
        if request.custom and response.id:
            # Bridged providers return the id inside the state too; policies read it there.
            outputs["id"] = response.id
        self.captured.append(
            CapturedResource(
                urn=urn,
                type=request.type,
                name=request.name,
                custom=bool(request.custom),
                parent="" if self._types_by_urn.get(request.parent) == STACK_TYPE else request.parent,
                provider=provider,
                inputs=json_format.MessageToDict(request.object),
                outputs=outputs,
                options=_options(request),
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 (gRPC method name)
        if self._types_by_urn.get(request.urn) == STACK_TYPE and request.outputs:
            self.stack_outputs = json_format.MessageToDict(request.outputs)
        return super().RegisterResourceOutputs(request)


@contextlib.contextmanager
def _program_on_path(program_dir: Path) -> Iterator[None]:
    """Put the program dir first on sys.path and forget its modules afterwards.

    Two projects may both have a `components` or `config` module; forgetting them keeps repeated
    in-process captures independent, as separate engine runs would be.
    """
    before = set(sys.modules)
    saved_path = list(sys.path)
    sys.path.insert(0, str(program_dir))
    try:
        yield
    finally:
        sys.path[:] = saved_path
        root = str(program_dir.parent.resolve())
        # A virtualenv may live inside the project (.venv, .nox): its packages are not the
        # program's, and re-importing a Pulumi provider SDK would register it twice.
        installed = {str(Path(p).resolve()) for p in (sys.prefix, sys.exec_prefix, *site.getsitepackages())}
        for name in set(sys.modules) - before:
            module_file = str(getattr(sys.modules[name], "__file__", None) or "")
            if module_file.startswith(root) and not any(module_file.startswith(p) for p in installed):
                del sys.modules[name]


def _discard(_value: object) -> None:
    """run_in_stack awaits what the program returns; a program's return value is not awaited."""


def run_program(
    program: Callable[[], object],
    monitor: CapturingMonitor,
    *,
    config: Mapping[str, str],
    secret_keys: Iterable[str] = (),
    preview: bool = False,
    root_directory: str = ".",
) -> Graph:
    """Run ``program`` (a callable that registers resources) under ``monitor``; return its graph.

    Each call is isolated in its own context and event loop, as separate engine runs would be.
    Raises pulumi.RunError (e.g. the program's ConfigError) untouched, and ProgramError for any
    other exception; ``monitor.captured`` then holds what was registered before the failure.
    """

    def run() -> None:
        runtime.reset_options(project=monitor.project, stack=monitor.stack, preview=preview)
        runtime.configure(
            pulumi_mocks.MockSettings(
                monitor=monitor,
                monitor_features=set(monitor.GetDeploymentInfo(None).supportedFeatures),
                engine=pulumi_mocks.MockEngine(logging.getLogger("plan.program")),
                project=monitor.project,
                stack=monitor.stack,
                dry_run=preview,
                organization="organization",
                root_directory=root_directory,
                callbacks=None,
            )
        )
        ROOT.set(None)
        runtime.set_all_config(dict(config), list(secret_keys))
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(runtime.run_in_stack(lambda: _discard(program())))
        finally:
            for task in asyncio.all_tasks(loop):
                task.cancel()
                with contextlib.suppress(BaseException):
                    loop.run_until_complete(task)
            loop.close()
            asyncio.set_event_loop(None)

    try:
        contextvars.copy_context().run(run)
    except pulumi.RunError:
        raise
    except SystemExit as error:
        # sys.exit(None) is 0, sys.exit("message") is 1, as the interpreter would exit.
        code = error.code if isinstance(error.code, int) else (0 if error.code is None else 1)
        raise ProgramExitError(code) from error
    except KeyboardInterrupt as error:
        raise ProgramExitError(
            130
        ) from error  # 128 + SIGINT, what a shell reports for an interrupted program
    except Exception as error:
        detail = "".join(traceback.format_exception(error))
        first = str(error).splitlines()[0] if str(error) else ""
        raise ProgramError(f"{type(error).__name__}: {first}", detail) from error

    seen: set[str] = set()
    for resource in monitor.captured:
        if resource.urn in seen:
            # The engine's own words (step generator) for the same mistake.
            raise GraphError(f"Duplicate resource URN '{resource.urn}'; try giving it a unique name")
        seen.add(resource.urn)
    # Registration order depends on how the SDK's tasks interleave; sort so plans are stable.
    resources = sorted(monitor.captured, key=lambda r: (not r.type.startswith(PROVIDER_PREFIX), r.urn))
    graph = Graph(monitor.project, monitor.stack, preview, resources, monitor.stack_outputs)
    graph.warnings.extend(monitor.offline_mocks.warnings)
    return graph


def new_monitor(
    project: str, stack: str, config: Mapping[str, str], preview: bool = False
) -> CapturingMonitor:
    return CapturingMonitor(OfflineMocks(config=dict(config), preview=preview), project, stack)


def capture(spec: StackSpec, preview: bool = False) -> Graph:
    """Run ``spec``'s program (its Pulumi.yaml `main`) as the Python language host would."""
    monitor = new_monitor(spec.project, spec.stack, spec.config, preview)
    with _program_on_path(spec.main_dir):
        return run_program(
            lambda: runpy.run_path(str(spec.main_dir), run_name="__main__"),
            monitor,
            config=spec.config,
            secret_keys=spec.secret_keys,
            preview=preview,
            root_directory=str(spec.project_dir),
        )
