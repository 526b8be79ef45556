"""The README's embedding example runs as written."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def test_embedding_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"<!-- embedding-example -->\n```python\n(.*?)```", text, re.S)
    assert match, "README lost its embedding example"
    monkeypatch.chdir(tmp_path)
    exec(compile(match.group(1), "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "agreement_missing - no cooperation agreement yet" in out
    assert "moved: hasenbergl-nord diagnose" in out
    assert "audit head: " in out
    assert os.path.exists(tmp_path / "regsam-example.db")
