"""One module per seed system; each composes components and returns the stack outputs."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pulumi

from program.blueprints import serverless_app
from program.config import BLUEPRINTS, ConfigError, StackConfig

Blueprint = Callable[[StackConfig], Mapping[str, pulumi.Input[object]]]

BUILT: dict[str, Blueprint] = {
    "serverless-app": serverless_app.build,
}


def build(config: StackConfig) -> Mapping[str, pulumi.Input[object]]:
    """Build the configured blueprint; ConfigError for one that is planned but not built yet."""
    blueprint = BUILT.get(config.blueprint)
    if blueprint is None:
        built = ", ".join(BUILT)
        planned = ", ".join(name for name in BLUEPRINTS if name not in BUILT)
        raise ConfigError(
            f"webstack:blueprint: {config.blueprint} is not built yet; built: {built} (planned: {planned})"
        )
    return blueprint(config)
