"""``regsam-flow serve`` as a real process on loopback, for tests.

::

    with served(db_url, tmp_path / "home") as svc:     # waits for /health
        anna = sign_in(svc, "anna@regsam.example")     # a client with her session
        anna.get("/api/v1/session").json()["person"]   # -> "anna"
        token = bearer(svc, "anna@regsam.example")     # an API token made through the API
        svc.client(token=token).get("/api/v1/tokens")
        svc.mails()                                    # the Maildir's messages, parsed
        svc.log()                                      # what the process printed so far

The process runs ``python -m regsam_flow.cli --db URL serve --port 0`` with
``REGSAM_FLOW_HOME`` set to the given data folder (so its Maildir is
``home/maildir`` and its secret key ``home/service-secret``; two processes
with one home share both) and no other ``REGSAM_FLOW_*`` variable but the
language.  ``args`` adds options of ``serve`` (``--link-minutes 0``,
``--trusted-proxy 127.0.0.1`` ...).  The database must be initialised
first (``Engine(db_url).init(...)``, or the ``engine`` fixture).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path

import httpx

from regsam_flow.bootstrap import read_mail

__all__ = ["Service", "bearer", "link_in", "served", "sign_in", "start"]

START_TIMEOUT_S = 60.0
URL_RE = re.compile(r"http://[0-9a-zA-Z.\[\]:]+:\d+")
LINK_RE = re.compile(r"https?://\S+/auth/sign-in/[A-Za-z0-9_\-]+")


class Service:
    """A running server process."""

    def __init__(self, proc: subprocess.Popen[str], home: Path, db_url: str) -> None:
        self.proc = proc
        self.home = home
        self.db_url = db_url
        self.url = ""
        self.started_in = 0.0  # seconds from launch to the first 200 of /health
        self._lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._lines.append(line)

    def log(self) -> str:
        """Everything the process printed so far (stdout and stderr)."""
        return "".join(self._lines)

    def client(
        self,
        *,
        token: str | None = None,
        headers: dict[str, str] | None = None,
        cookies: dict[str, str] | None = None,
    ) -> httpx.Client:
        """An HTTP client for the service (with ``token``: as that API token)."""
        sent = dict(headers or {})
        if token:
            sent["Authorization"] = f"Bearer {token}"
        return httpx.Client(base_url=self.url, timeout=30.0, headers=sent, cookies=cookies)

    def mails(self) -> list[EmailMessage]:
        """The messages in the service's Maildir, oldest first."""
        return read_mail(self.home / "maildir")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)

    def _wait_until_up(self, launched: float) -> None:
        deadline = launched + START_TIMEOUT_S
        while not self.url:
            found = URL_RE.search(self.log())
            if found:
                self.url = found.group(0)
                break
            self._check_alive()
            if time.monotonic() > deadline:
                raise RuntimeError(f"serve printed no address:\n{self.log()}")
            time.sleep(0.005)
        with httpx.Client(base_url=self.url, timeout=5.0) as c:
            while True:
                try:
                    if c.get("/health").status_code == 200:
                        self.started_in = time.monotonic() - launched
                        return
                except httpx.TransportError:
                    pass
                self._check_alive()
                if time.monotonic() > deadline:
                    raise RuntimeError(f"/health did not answer 200:\n{self.log()}")
                time.sleep(0.005)

    def _check_alive(self) -> None:
        if self.proc.poll() is not None:
            self._reader.join(timeout=5)
            raise RuntimeError(f"serve exited with {self.proc.returncode}:\n{self.log()}")


def environment(
    home: Path, lang: str = "en", extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGSAM_FLOW_")}
    env.update(REGSAM_FLOW_HOME=str(home), REGSAM_FLOW_LANG=lang, PYTHONIOENCODING="utf-8")
    env.update(extra or {})
    return env


def start(
    db_url: str,
    home: Path,
    args: Sequence[str] = (),
    *,
    lang: str = "en",
    env: dict[str, str] | None = None,
) -> Service:
    """Start ``serve`` on a free loopback port and wait until /health answers 200."""
    home.mkdir(parents=True, exist_ok=True)
    launched = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "regsam_flow.cli", "--db", db_url, "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        env=environment(home, lang, env),
    )
    svc = Service(proc, home, db_url)
    try:
        svc._wait_until_up(launched)
    except BaseException:
        svc.stop()
        raise
    return svc


@contextmanager
def served(
    db_url: str,
    home: Path,
    args: Sequence[str] = (),
    *,
    lang: str = "en",
    env: dict[str, str] | None = None,
) -> Iterator[Service]:
    """A running service for the ``with`` block, stopped after it."""
    svc = start(db_url, home, args, lang=lang, env=env)
    try:
        yield svc
    finally:
        svc.stop()


def link_in(message: EmailMessage) -> str:
    """The sign-in link in a mail."""
    body = message.get_body(preferencelist=("plain", "html"))
    text = body.get_content() if body is not None else ""
    found = LINK_RE.search(str(text))
    assert found, f"no sign-in link in:\n{text}"
    return found.group(0)


def request_link(svc: Service, client: httpx.Client, email: str) -> str:
    """Ask for a sign-in link with ``client``; the link from the new mail."""
    before = len(svc.mails())
    r = client.post("/auth/sign-in", json={"email": email})
    assert r.status_code == 202, r.text
    mails = svc.mails()
    assert len(mails) == before + 1, f"no new mail for {email}"
    assert email.lower() in str(mails[-1]["To"]).lower()
    return link_in(mails[-1])


def sign_in(svc: Service, email: str, *, csrf: bool = True) -> httpx.Client:
    """A client signed in as the person with ``email``: asks for a link,
    reads it from the Maildir, opens it (GET) and presses its button (POST),
    all with the same client (the link is bound to its browser cookie).
    With ``csrf`` the client sends the session's X-CSRF-Token on every request."""
    client = svc.client()
    link = request_link(svc, client, email)
    assert client.get(link).status_code == 200
    r = client.post(link)
    assert r.status_code == 303, r.text
    if csrf:
        client.headers["X-CSRF-Token"] = client.get("/api/v1/session").json()["csrf_token"]
    return client


def bearer(svc: Service, email: str, name: str = "script") -> str:
    """A new API token of the person with ``email``, made through the API."""
    client = sign_in(svc, email)
    try:
        r = client.post("/api/v1/tokens", json={"name": name})
    finally:
        client.close()
    assert r.status_code == 201, r.text
    token: str = r.json()["token"]
    return token
