"""The example systemd units (docs/systemd) and the container definition
(docs/container): what they promise, checked; the units by
``systemd-analyze verify`` where the machine has it, the image built and
its health check run where a Docker daemon answers."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UNITS = ROOT / "docs" / "systemd"
CONTAINER = ROOT / "docs" / "container"
BIN = Path(sys.executable).parent / "regsam-flow"
INSTALLED = "/opt/regsam-flow/bin/regsam-flow"
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes",
    "ProtectKernelModules": "yes",
    "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes",
    "RestrictAddressFamilies": "AF_UNIX AF_INET AF_INET6",
    "CapabilityBoundingSet": "",
    "SystemCallArchitectures": "native",
}


def _settings(path: Path) -> dict[str, list[str]]:
    """Every ``Key=value`` of a unit file, by key (keys may repeat)."""
    out: dict[str, list[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith(("#", ";", "[")) and "=" in line:
            key, value = line.split("=", 1)
            out.setdefault(key.strip(), []).append(value.strip())
    return out


@pytest.mark.parametrize(
    ("unit", "command"),
    [
        ("regsam-flow-serve.service", "serve"),
        ("regsam-flow-scheduler.service", "scheduler run"),
        ("regsam-flow-health.service", "health"),
    ],
)
def test_each_service_runs_hardened_as_its_own_user(unit: str, command: str) -> None:
    s = _settings(UNITS / unit)
    assert s["User"] == ["regsam-flow"] and s["Group"] == ["regsam-flow"]
    assert s["StateDirectory"] == ["regsam-flow"]
    assert s["Environment"] == ["REGSAM_FLOW_HOME=/var/lib/regsam-flow"]
    assert s["EnvironmentFile"] == ["/etc/regsam-flow/regsam-flow.env"]
    assert s["ExecStart"][0].startswith(f"{INSTALLED} {command}")
    for key, value in HARDENING.items():
        assert s.get(key) == [value], f"{unit}: {key}={value}"
    assert "@system-service" in s["SystemCallFilter"]
    if unit != "regsam-flow-health.service":
        assert s["Restart"] == ["on-failure"]


def test_the_timer_runs_the_health_check_every_five_minutes() -> None:
    s = _settings(UNITS / "regsam-flow-health.timer")
    assert s["OnUnitActiveSec"] == ["5min"] and s["WantedBy"] == ["timers.target"]
    assert _settings(UNITS / "regsam-flow-health.service")["Type"] == ["oneshot"]


def test_the_example_environment_file_names_existing_settings() -> None:
    s = _settings(UNITS / "regsam-flow.env")
    assert set(s) == {
        "REGSAM_FLOW_DB",
        "REGSAM_FLOW_SMTP_URL",
        "REGSAM_FLOW_MAIL_FROM",
        "REGSAM_FLOW_SECRET_KEY",
    }
    sources = "\n".join(
        p.read_text(encoding="utf-8")
        for folder in ("regsam_flow", "notifications", "persistence")
        for p in (ROOT / folder).rglob("*.py")
    )
    for name in s:
        assert f'"{name}"' in sources, f"{name} is read nowhere"


def test_systemd_analyze_verify_finds_nothing(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed (Debian: apt-get install systemd)")
    names = [p.name for p in sorted(UNITS.iterdir()) if p.suffix in (".service", ".timer")]
    for name in names:  # verify checks that ExecStart's program exists: this venv's
        text = (UNITS / name).read_text(encoding="utf-8").replace(INSTALLED, str(BIN))
        (tmp_path / name).write_text(text, encoding="utf-8")
    r = subprocess.run(
        [analyze, "verify", "--man=no", *(str(tmp_path / n) for n in names)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    ours = [
        line
        for line in (r.stdout + r.stderr).splitlines()
        if any(n in line for n in names) or str(tmp_path) in line
    ]
    assert r.returncode == 0 and ours == [], r.stdout + r.stderr


def test_the_container_image_is_built_from_the_wheel_and_runs_unprivileged() -> None:
    text = (CONTAINER / "Dockerfile").read_text(encoding="utf-8")
    stages = [line for line in text.splitlines() if line.startswith("FROM ")]
    assert len(stages) == 2 and stages[0].endswith(" AS build")
    assert "pip wheel" in text and "/tmp/dist/regsam_flow-*.whl" in text
    assert "USER regsam-flow:regsam-flow" in text
    assert 'VOLUME ["/var/lib/regsam-flow"]' in text
    assert 'CMD ["regsam-flow", "health"]' in text.split("HEALTHCHECK", 1)[1]
    assert text.rstrip().splitlines()[-1].startswith('CMD ["regsam-flow", "serve"')


def _docker() -> str:
    if os.environ.get("REGSAM_FLOW_TEST_CONTAINER") != "1":
        pytest.skip("building the container image takes minutes: REGSAM_FLOW_TEST_CONTAINER=1")
    docker = shutil.which("docker")
    if docker is None:
        pytest.skip("docker not installed")
    if subprocess.run([docker, "info"], capture_output=True, timeout=60).returncode != 0:
        pytest.skip("no Docker daemon answers (docker info fails)")
    return docker


def test_the_image_builds_and_its_health_check_runs() -> None:
    docker = _docker()
    tag = "regsam-flow-test:health"
    build = [docker, "build", "-f", str(CONTAINER / "Dockerfile"), "-t", tag, str(ROOT)]
    assert subprocess.run(build, timeout=1800).returncode == 0
    run = [docker, "run", "--rm", tag]
    r = subprocess.run([*run, "id", "-un"], capture_output=True, text=True, timeout=300)
    assert r.stdout.strip() == "regsam-flow"
    r = subprocess.run([*run, "regsam-flow", "health", "--json"], capture_output=True, timeout=300)
    assert r.returncode == 20 and b"schema_missing" in r.stdout  # a new volume: init first


@pytest.mark.parametrize(
    "unit",
    ["regsam-flow-serve.service", "regsam-flow-scheduler.service", "regsam-flow-health.service"],
)
def test_systemd_rates_each_service_well_shielded(unit: str, tmp_path: Path) -> None:
    """``systemd-analyze security``: exposure 2.0 at most of 10 ("OK")."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze not installed (Debian: apt-get install systemd)")
    text = (UNITS / unit).read_text(encoding="utf-8").replace(INSTALLED, str(BIN))
    (tmp_path / unit).write_text(text, encoding="utf-8")
    cmd = [analyze, "security", "--offline=yes", "--threshold=20", str(tmp_path / unit)]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    if "--offline" in r.stderr and "unrecognized" in r.stderr:
        pytest.skip("systemd-analyze security --offline needs systemd 250 or later")
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr
