"""Check what the source distribution and the wheel hold (for .ci/package).

    python3 .ci/dist_contents.py DIST_FOLDER

The sdist must hold every file git tracks in the package folders, the tests
(with their conftest.py and helpers), the benchmarks, the docs and the CI
scripts, and LICENSE, CHANGELOG.md, README.md, setup.cfg, pyproject.toml,
MANIFEST.in; besides those only what the build writes (PKG-INFO, the
egg-info): nothing stray (a virtualenv, a database, bytecode).  The wheel
must hold every tracked file of the package folders where setup.cfg maps
it (workflows/ to regsam_flow/workflows/, ...) but the catalog's .po
source, and LICENSE in its metadata; no tests.  Prints what is missing or
stray and exits 1, else one line per archive.  Needs git (a checkout).
"""

from __future__ import annotations

import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

#: Where setup.cfg's package_dir puts each source folder in the wheel.
PACKAGE_DIRS = {
    "regsam_flow/": "regsam_flow/",
    "workflows/": "regsam_flow/workflows/",
    "persistence/": "regsam_flow/persistence/",
    "notifications/": "regsam_flow/notifications/",
}
SDIST_FOLDERS = ("tests/", "benchmarks/", "docs/", ".ci/")
SDIST_FILES = {
    "LICENSE",
    "CHANGELOG.md",
    "README.md",
    "setup.cfg",
    "pyproject.toml",
    "MANIFEST.in",
}
#: Files whose presence means the sdist would break or leak (checked by name).
STRAY_PARTS = {".venv", "__pycache__", ".git", ".ci-pg", "screenshots", ".mypy_cache"}
STRAY_SUFFIXES = (".pyc", ".db", ".db-wal", ".db-shm")


def tracked(repo: Path) -> list[str]:
    out = subprocess.run(
        ["git", "ls-files", "-z"], cwd=repo, check=True, capture_output=True, text=True
    ).stdout
    return [name for name in out.split("\0") if name and (repo / name).is_file()]


def check_sdist(path: Path, files: list[str]) -> list[str]:
    with tarfile.open(path) as tar:
        names = [m.name.split("/", 1)[1] for m in tar.getmembers() if m.isfile()]
    have = set(names)
    wanted = {
        f for f in files if f in SDIST_FILES or f.startswith(tuple(PACKAGE_DIRS) + SDIST_FOLDERS)
    }
    problems = [f"sdist lacks {f}" for f in sorted(wanted - have)]
    for name in sorted(have - set(files)):
        built = name == "PKG-INFO" or name.startswith("regsam_flow.egg-info/")
        if not built:
            problems.append(f"sdist holds {name}, which git does not track")
    for name in names:
        parts = set(Path(name).parts)
        if parts & STRAY_PARTS or name.endswith(STRAY_SUFFIXES):
            problems.append(f"sdist holds stray {name}")
    for needed in ("tests/conftest.py", "tests/__init__.py", "LICENSE", "CHANGELOG.md"):
        if needed not in have:
            problems.append(f"sdist lacks {needed}")
    return list(dict.fromkeys(problems))  # each finding once


def check_wheel(path: Path, files: list[str]) -> list[str]:
    with zipfile.ZipFile(path) as whl:
        names = set(whl.namelist())
    problems = []
    for f in files:
        for source, target in PACKAGE_DIRS.items():
            if f.startswith(source) and not f.endswith(".po"):
                if target + f.removeprefix(source) not in names:
                    problems.append(f"wheel lacks {target + f.removeprefix(source)} (from {f})")
                break
    if not any(n.endswith(".dist-info/licenses/LICENSE") or n.endswith("/LICENSE") for n in names):
        problems.append("wheel lacks LICENSE in its metadata")
    problems += [f"wheel holds {n}" for n in sorted(names) if n.startswith("tests/")]
    return problems


def main(dist: Path) -> int:
    repo = Path(__file__).resolve().parent.parent
    files = tracked(repo)
    (sdist,) = dist.glob("*.tar.gz")
    (wheel,) = dist.glob("*.whl")
    problems = check_sdist(sdist, files) + check_wheel(wheel, files)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        return 1
    with tarfile.open(sdist) as tar, zipfile.ZipFile(wheel) as whl:
        counts = {sdist.name: len(tar.getnames()), wheel.name: len(whl.namelist())}
    for name, count in counts.items():
        print(f"{name}: {count} entries, nothing missing, nothing stray")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
