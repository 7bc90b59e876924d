"""Shared helpers of the deployment manifest tests: paths, YAML loading, and the rule for
checks that need a tool installed outside Python (the npm packages of
deploy/kubernetes/validate/): skip locally when it is missing, fail in CI, which sets
SYLLABUS_REQUIRE_MANIFEST_TOOLS=1 after running `npm ci` there."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
VALIDATE_DIR = DEPLOY / "kubernetes" / "validate"
NODE_MODULES = VALIDATE_DIR / "node_modules"


def require_tool(available: bool, what: str) -> None:
    """Skip (or fail, when CI requires the tools) if ``what`` is not installed."""
    if available:
        return
    message = f"{what} is not installed: run `npm ci` in deploy/kubernetes/validate"
    if os.environ.get("SYLLABUS_REQUIRE_MANIFEST_TOOLS") == "1":
        pytest.fail(message + " (SYLLABUS_REQUIRE_MANIFEST_TOOLS=1)")
    pytest.skip(message)


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def load_yaml_documents(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]
