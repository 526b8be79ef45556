"""What the package says about itself: the licence it ships, the changelog
entry of its version, the Python versions it names, and the test tools
pinned.  (.ci/package builds the sdist and the wheel and runs the demo from
the wheel; .ci/lowest runs the tests on the lowest versions allowed.)"""

from __future__ import annotations

import configparser
import re
from importlib.metadata import metadata
from pathlib import Path

import regsam_flow

REPO = Path(__file__).resolve().parent.parent


def _cfg() -> configparser.ConfigParser:
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg", encoding="utf-8")
    return cfg


def test_the_licence_is_shipped_and_named_alike() -> None:
    text = (REPO / "LICENSE").read_text("utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 REGSAM\n")
    meta = metadata("regsam-flow")
    assert meta["License"] == "MIT"
    assert "License :: OSI Approved :: MIT License" in meta.get_all("Classifier", [])


def test_the_changelog_has_this_version_and_an_unreleased_section() -> None:
    text = (REPO / "CHANGELOG.md").read_text("utf-8")
    headings = re.findall(r"^## \[([^\]]+)\]", text, flags=re.MULTILINE)
    assert headings[0] == "Unreleased"
    assert regsam_flow.__version__ in headings


def test_the_python_versions_named_match_python_requires() -> None:
    cfg = _cfg()
    floor = cfg["options"]["python_requires"]
    assert floor == ">=3.10"
    named = re.findall(
        r"Programming Language :: Python :: (3\.\d+)$", cfg["metadata"]["classifiers"], re.M
    )
    assert named == ["3.10", "3.11", "3.12", "3.13"]


def test_ruff_and_mypy_are_pinned_exactly() -> None:
    test_extra = _cfg()["options.extras_require"]["test"].split()
    for tool in ("ruff", "mypy"):
        (line,) = [r for r in test_extra if re.match(rf"{tool}\b", r)]
        assert re.fullmatch(rf"{tool}==\d+(\.\d+)*", line), line
