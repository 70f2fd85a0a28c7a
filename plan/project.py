"""Read a Pulumi project (``Pulumi.yaml``) and one stack's settings (``Pulumi.<stack>.yaml``).

Only what the offline plan needs: the project name, the program directory, and the stack config
flattened the way the engine hands it to a program (``namespace:key`` -> string).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# Encrypted config values cannot be decrypted offline; the program sees this secret instead.
OFFLINE_SECRET_PLACEHOLDER = "offline-plan-placeholder-secret"
# The CLI's rule for a stack name (it also names the file Pulumi.<stack>.yaml); checked whole.
STACK_NAME = re.compile(r"[A-Za-z0-9_.-]+")


class UsageError(Exception):
    """Bad arguments or an unreadable project: one line, exit 2."""


@dataclass(frozen=True)
class StackSpec:
    project: str
    stack: str
    project_dir: Path
    main_dir: Path
    config: dict[str, str]
    secret_keys: frozenset[str] = frozenset()
    warnings: tuple[str, ...] = field(default=())


def read_text(path: Path, what: str = "") -> str:
    """A UTF-8 file's text, or one UsageError line (the CLI reads these files as UTF-8 too)."""
    label = f"{what} {path}" if what else str(path)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise UsageError(f"{label}: not UTF-8 (byte {error.start}: {error.reason})") from error
    except OSError as error:
        raise UsageError(f"{label}: cannot read it ({error.strerror})") from error


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(read_text(path)) or {}
    except yaml.YAMLError as error:
        raise UsageError(f"{path}: not valid YAML ({error.__class__.__name__})") from error
    if not isinstance(data, dict):
        raise UsageError(f"{path}: expected a mapping at the top level")
    return data


def _config_section(path: Path, data: dict[str, Any]) -> dict[Any, Any]:
    section = data.get("config")
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise UsageError(f"{path}: 'config' must be a mapping of key: value, got a {type(section).__name__}")
    return section


def _config_string(value: Any) -> str:
    # The engine passes every config value to the program as a string; structured values as JSON.
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def _qualify(key: str, project: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def stack_policy_config(project_dir: Path, stack: str) -> Path | None:
    """``Pulumi.<stack>.policy.json`` beside the stack file: the stack's own policy config (its
    exemptions and settings, each with a reason), used when no other policy config is given."""
    path = project_dir / f"Pulumi.{stack}.policy.json"
    return path if path.is_file() else None


def load_stack(project_dir: Path, stack: str) -> StackSpec:
    """Load ``project_dir``'s Pulumi.yaml and Pulumi.<stack>.yaml; UsageError on anything wrong."""
    project_dir = project_dir.resolve()
    if not STACK_NAME.fullmatch(stack):
        raise UsageError(f"{stack!r} is not a valid stack name (letters, digits, '-', '_' and '.' only)")
    project_file = project_dir / "Pulumi.yaml"
    if not project_file.is_file():
        raise UsageError(f"--project-dir {project_dir}: no Pulumi.yaml there")
    project = _read_yaml(project_file)
    name = project.get("name")
    if not isinstance(name, str) or not name:
        raise UsageError(f"{project_file}: 'name' is required")
    runtime = project.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise UsageError(
            f"{project_file}: runtime {runtime_name!r} is not supported; the offline plan runs "
            "Python programs only"
        )
    if "stackConfigDir" in project:
        raise UsageError(
            f"{project_file}: stackConfigDir is not supported by the offline plan; keep "
            "Pulumi.<stack>.yaml beside Pulumi.yaml"
        )
    main_dir = (project_dir / str(project.get("main", "."))).resolve()
    if not (main_dir / "__main__.py").is_file():
        raise UsageError(f"{project_file}: main {main_dir} has no __main__.py")

    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.is_file():
        known = sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in project_dir.glob("Pulumi.*.yaml"))
        raise UsageError(
            f"stack {stack!r}: no {stack_file.name} in {project_dir} (stacks: {', '.join(known) or 'none'})"
        )

    config: dict[str, str] = {}
    secret_keys: set[str] = set()
    warnings: list[str] = []
    for key, declared in _config_section(project_file, project).items():
        default = declared.get("default") if isinstance(declared, dict) else declared
        if default is not None:
            config[_qualify(key, name)] = _config_string(default)
    for key, value in _config_section(stack_file, _read_yaml(stack_file)).items():
        qualified = _qualify(str(key), name)
        if value is None:
            # Passing it on would hand the program the string "null"; unset is not what it says either.
            raise UsageError(f"{stack_file}: config {qualified} is null; give it a value or remove the key")
        if isinstance(value, dict) and set(value) == {"secure"}:
            config[qualified] = OFFLINE_SECRET_PLACEHOLDER
            secret_keys.add(qualified)
            warnings.append(f"config {qualified} is encrypted; the offline plan uses a placeholder")
            continue
        config[qualified] = _config_string(value)
    return StackSpec(
        project=name,
        stack=stack,
        project_dir=project_dir,
        main_dir=main_dir,
        config=config,
        secret_keys=frozenset(secret_keys),
        warnings=tuple(warnings),
    )
