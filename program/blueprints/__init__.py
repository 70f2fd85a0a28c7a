"""The registry of blueprints: one module per seed system, by name, and the config they share.

A blueprint module declares ``KEYS`` (its own config keys, beside the shared ones in
program/config.py), a frozen ``Settings`` dataclass, ``parse(values) -> Settings`` and
``build(config, settings)``, which composes components and returns the stack outputs. ``BUILT``
maps each built blueprint's name to its module; the others in ``config.BLUEPRINTS`` are planned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol

import pulumi

from program import config as shared
from program.blueprints import catalog_api, media_platform, serverless_app, stream_pipeline
from program.config import BLUEPRINTS, ConfigError, Key, StackConfig


class Blueprint(Protocol):
    @property
    def KEYS(self) -> Sequence[Key]: ...  # noqa: N802 (a module constant)

    def parse(self, values: Mapping[str, str]) -> Any: ...

    def build(self, config: StackConfig, settings: Any) -> Mapping[str, pulumi.Input[object]]: ...


BUILT: dict[str, Blueprint] = {
    "serverless-app": serverless_app,
    "catalog-api": catalog_api,
    "stream-pipeline": stream_pipeline,
    "media-platform": media_platform,
}


def parse_config(values: Mapping[str, str], project: str = "webstack") -> StackConfig:
    """The shared keys plus the chosen blueprint's own (only those: others are unknown keys)."""
    module = BUILT.get(values.get(f"{shared.NAMESPACE}:blueprint", ""))
    config = shared.parse_shared(values, project, module.KEYS if module else ())
    return replace(config, settings=module.parse(values)) if module else config


def load_config() -> StackConfig:
    """The validated config of the running stack."""
    return parse_config(shared.stack_values(), project=pulumi.get_project())


def keys_table() -> str:
    """The README's "Stack configuration" table, from the keys the code declares."""
    return shared.keys_table({name: module.KEYS for name, module in BUILT.items()})


def build(config: StackConfig) -> Mapping[str, pulumi.Input[object]]:
    """Build the configured blueprint; ConfigError for one that is planned but not built yet."""
    module = BUILT.get(config.blueprint)
    if module is None:
        built = ", ".join(BUILT)
        planned = ", ".join(name for name in BLUEPRINTS if name not in BUILT)
        raise ConfigError(
            f"webstack:blueprint: {config.blueprint} is not built yet; built: {built} (planned: {planned})"
        )
    return module.build(config, config.settings)
