"""serve: the HTTP service (JSON API and sign-in) over the same database."""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

import click

from regsam_flow.auth import AuthPolicy
from regsam_flow.i18n import _

from .app import cli
from .common import delivery_target
from .context import Ctx, pass_ctx
from .logs import LEVELS, configure, log_format_option
from .output import echo

if TYPE_CHECKING:
    import socket

__all__ = ["serve"]

SECRET_ENV = "REGSAM_FLOW_SECRET_KEY"
SECRET_FILE = "service-secret"
#: The engine's sign-in limits, the options' defaults.
POLICY = AuthPolicy()


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on (0: any free port, printed at start).",
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Where people reach the service (sign-in links start with it; https:// makes "
    "cookies Secure) [default: http://HOST:PORT].",
)
@click.option(
    "--trusted-proxy",
    "trusted_proxies",
    multiple=True,
    metavar="ADDR",
    help="Address (or network) of a reverse proxy whose --proxy-header names the "
    "signed-in person (single sign-on; the proxy must set or remove it on every request) "
    "and whose X-Forwarded-For names the client; repeatable.  From other addresses both "
    "are ignored.",
)
@click.option(
    "--proxy-header",
    default="X-Remote-User",
    show_default=True,
    metavar="NAME",
    help="The trusted proxy's header with the person's id or email.",
)
@click.option(
    "--link-minutes",
    default=POLICY.link_minutes,
    show_default=True,
    type=click.IntRange(0, 24 * 60),
    help="How long a sign-in link is valid (0: not at all, for tests).",
)
@click.option(
    "--links-per-address",
    default=POLICY.links_per_address,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Sign-in links one address may ask for within 15 minutes.",
)
@click.option(
    "--links-per-client",
    default=POLICY.links_per_client,
    show_default=True,
    type=click.IntRange(1, 100000),
    help="Sign-in links one client address may ask for within 15 minutes.",
)
@click.option(
    "--log-level",
    type=click.Choice(LEVELS, case_sensitive=False),
    default="info",
    show_default=True,
    help="Least important log lines shown (info: one line per request).",
)
@log_format_option
@pass_ctx
def serve(
    obj: Ctx,
    host: str,
    port: int,
    base_url: str | None,
    trusted_proxies: tuple[str, ...],
    proxy_header: str,
    link_minutes: int,
    links_per_address: int,
    links_per_client: int,
    log_level: str,
    log_format: str,
) -> None:
    """Run the HTTP service: the JSON API and sign-in by email link.

    It works on the same database as the other commands (--db) and sends
    sign-in mail where reminders go (REGSAM_FLOW_SMTP_URL, else the data
    folder's Maildir).  Cookies and CSRF tokens are signed with the secret
    key in REGSAM_FLOW_SECRET_KEY, else with the file service-secret in the
    data folder (made on first start; every process on one machine shares
    it, a team sets the variable on each server).  Logs to stderr, one line
    per request and uvicorn's own (--log-format json: one JSON object per
    line).  Stop it with Ctrl-C.

    \b
    Examples:
      regsam-flow serve
      regsam-flow serve --host 0.0.0.0 --base-url https://flow.example.org \\
          --trusted-proxy 10.0.0.5
    """
    import gc
    import logging

    # Start-up is mostly imports (FastAPI, SQLAlchemy, the routers' models),
    # which make many objects and no garbage cycles worth collecting:
    # without the cyclic collector running over them they take about 10 %
    # less CPU.  It runs again, over the objects made later only, before
    # the first request (see benchmarks/bench_serve.py).
    gc.disable()

    from regsam_flow.bootstrap import open_engine
    from regsam_flow.errors import InvalidInputError, SchemaError

    level = logging.DEBUG if obj.debug else getattr(logging, log_level.upper())
    configure(level, log_format.lower())

    policy = AuthPolicy(
        link_minutes=link_minutes,
        links_per_address=links_per_address,
        links_per_client=links_per_client,
    )
    engine = open_engine(
        obj.db, workflow_dirs=obj.workflow_dirs, bind_login=False, auth_policy=policy
    )
    obj._engine = engine  # closed with the command
    found, needed = engine.schema_status()
    if found != needed:
        engine.context.store.check_schema()  # the usual message: not initialised, older, newer
        raise SchemaError(
            _("The database's schema is {found}, this regsam-flow needs {needed}.").format(
                found=found, needed=needed
            ),
            found=found,
            expected=needed,
        )
    sock = _listen(host, port)
    real_port = sock.getsockname()[1]
    url = f"http://{_host_in_url(host)}:{real_port}"
    key = secret_key()
    if len(key) < 16:
        raise InvalidInputError(
            _("{var} must be at least 16 characters long.").format(var=SECRET_ENV),
            field=SECRET_ENV,
        )
    try:
        from regsam_flow.service.settings import ServiceSettings

        settings = ServiceSettings(
            secret_key=key,
            base_url=base_url or url,
            trusted_proxies=trusted_proxies,
            proxy_header=proxy_header,
        )
    except ValueError as exc:
        raise InvalidInputError(str(exc), field="--trusted-proxy") from exc
    import uvicorn

    from regsam_flow.service.app import create_app

    app = create_app(engine, settings)
    echo(
        _("regsam-flow serves on {url} (reached as {base}); sign-in mail goes to {target}").format(
            url=url, base=settings.base_url, target=delivery_target(engine)
        )
    )
    config = uvicorn.Config(
        app,
        log_config=None,
        access_log=False,  # it would log whole paths; the service logs its own, without secrets
        proxy_headers=False,  # the peer's address stays the peer's (trusted proxies by address)
        server_header=False,
        lifespan="off",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    gc.freeze()  # what start-up made stays: later collections skip it
    gc.enable()
    server.run(sockets=[sock])


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: any free port)."""
    import socket as sockets

    family = sockets.AF_INET6 if ":" in host else sockets.AF_INET
    sock = sockets.socket(family, sockets.SOCK_STREAM)
    sock.setsockopt(sockets.SOL_SOCKET, sockets.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise click.ClickException(
            _("cannot listen on {host}:{port}: {problem}").format(
                host=host, port=port, problem=exc.strerror or exc
            )
        ) from None
    sock.listen(256)
    sock.set_inheritable(True)
    return sock


def _host_in_url(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host


def secret_key() -> str:
    """REGSAM_FLOW_SECRET_KEY, else the data folder's ``service-secret``
    (made 0600 on first use; processes starting at once agree on one)."""
    from_env = os.environ.get(SECRET_ENV, "").strip()
    if from_env:
        return from_env
    from regsam_flow.paths import data_dir

    folder = data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SECRET_FILE
    if not path.exists():
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".service-secret-")  # 0600
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48) + "\n")
            with contextlib.suppress(FileExistsError):  # another process made it first
                os.link(tmp, path)  # never replaces an existing one
        finally:
            Path(tmp).unlink(missing_ok=True)
    return path.read_text().strip()
