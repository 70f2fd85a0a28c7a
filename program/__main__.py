"""Entry point: read the stack config, build its blueprint, export its outputs. Nothing else."""

import sys
from pathlib import Path

# Pulumi runs this folder as a script; the repo root on sys.path makes `program` a package.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pulumi

from program.blueprints import build, load_config

for key, value in build(load_config()).items():
    pulumi.export(key, value)
