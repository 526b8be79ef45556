"""The programs some tests drive besides Python: Chromium and Graphviz.

Where one is missing its tests are skipped, naming what to install, except
on CI: ``.ci/run`` installs them (``.ci/tools``) and sets
``REGSAM_FLOW_TEST_REQUIRE_TOOLS=1``, and there a missing program fails the
tests instead, so CI never skips them silently."""

from __future__ import annotations

import os
import shutil

import pytest

REQUIRE = "REGSAM_FLOW_TEST_REQUIRE_TOOLS"


def find(*names: str) -> str | None:
    """The path of the first of ``names`` on PATH, or None."""
    return next((p for p in map(shutil.which, names) if p), None)


def require(path: str | None, what: str, package: str) -> str:
    """``path`` if the program was found; else skip (fail on CI)."""
    if path is not None:
        return path
    message = f"{what} is not installed (apt-get install {package}, or bash .ci/tools)"
    if os.environ.get(REQUIRE) == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)
