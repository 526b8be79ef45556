"""The composition root: the one place that picks the adapters.

The core engine (:mod:`regsam_flow.engine`) works on the ports alone: a
:class:`~regsam_flow.ports.Store`, a :class:`~regsam_flow.ports.Notifier` and
a :class:`~regsam_flow.ports.Clock`.  This module plugs in the real ones:

* the SQL store (:mod:`regsam_flow.persistence`) for a database URL, by
  default a SQLite file in the user's data folder;
* the mail notifier (:mod:`regsam_flow.notifications`) from the environment
  (``REGSAM_FLOW_SMTP_URL``, else a Maildir in the data folder), made only
  when the first reminder is sent;
* the document renderer (:mod:`regsam_flow.documents`: Jinja2, imported on
  the first document) for the final documentation;
* the system clock;
* the guards a deployment installs for the front ends: every entry point of
  the group ``regsam_flow.guards`` (:data:`GUARD_ENTRY_POINTS`), name ->
  guard, loaded by :func:`open_engine` (:func:`plugin_guards`).

:class:`Engine` is what ``from regsam_flow import Engine`` gives embedders;
:func:`open_engine` is how the command line, the demo and every later front
end open one (it also reads ``REGSAM_FLOW_BIND_LOGIN``).  The adapters are
imported when an engine is made, not with this module, so that a command
loads no more than it uses.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from .auth import AuthPolicy
from .engine import Engine as CoreEngine
from .guards import Guard
from .ports import Clock, Notifier, Store, SystemClock

if TYPE_CHECKING:
    from email.message import EmailMessage

__all__ = ["GUARD_ENTRY_POINTS", "Engine", "open_engine", "plugin_guards", "read_mail"]

#: The entry point group a deployment registers guards for the CLI under.
GUARD_ENTRY_POINTS = "regsam_flow.guards"


class Engine(CoreEngine):
    """Focus areas and their workflows, on one database.

    ``Engine(url)`` opens a database (default: a SQLite file in the user's data
    folder); ``store`` instead of a URL runs the engine on any other
    :class:`~regsam_flow.ports.Store`.  A new database must be created first
    with :meth:`init`; an older one is refused until :meth:`upgrade`
    (``regsam-flow init``) upgraded it.

    Every action names the person acting (``actor``); what they may do follows
    from their global roles (admin, auditor) and their roles in the area.
    Areas run on the workflow definitions deployed in the database
    (:meth:`deploy_workflow`, admins only).  Options: ``workflow_dirs``
    (folders of definition files that propose new definitions; one with the
    name and version of a deployed definition but other content is refused),
    ``guards`` (name -> Python guard), ``clock``, ``store``, ``notifier``
    (where reminders go; default: REGSAM_FLOW_SMTP_URL or a Maildir in the
    data folder), ``bind_login`` (every action is taken by the person named
    like the database login), ``auth_policy`` (sign-in's limits: link life,
    session expiry, rate limits; see :class:`~regsam_flow.auth.AuthPolicy`).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        workflow_dirs: Sequence[Path | str] = (),
        guards: Mapping[str, Guard] | None = None,
        clock: Clock | None = None,
        store: Store | None = None,
        notifier: Notifier | None = None,
        bind_login: bool = False,
        auth_policy: AuthPolicy | None = None,
    ) -> None:
        from .documents import DossierRenderer

        super().__init__(
            store=sql_store(url) if store is None else store,
            workflow_dirs=workflow_dirs,
            guards=guards,
            clock=clock or SystemClock(),
            notifier=notifier,
            notifier_factory=notifier_from_env,
            renderer=DossierRenderer(),
            bind_login=bind_login,
            auth_policy=auth_policy,
        )


def open_engine(
    url: str | None = None,
    *,
    workflow_dirs: Sequence[Path | str] = (),
    bind_login: bool | None = None,
    maildir: Path | None = None,
    auth_policy: AuthPolicy | None = None,
) -> Engine:
    """An :class:`Engine` as the front ends open it: on ``url`` (default: the
    data folder's SQLite file) with ``workflow_dirs``; people are bound to
    their database login when ``bind_login`` is True or, if it is None, when
    REGSAM_FLOW_BIND_LOGIN is 1, yes, true or on; reminders go into the
    Maildir ``maildir`` when given, else where the environment says; sign-in
    follows ``auth_policy`` (default: :class:`~regsam_flow.auth.AuthPolicy`); the
    guards installed under the entry point group ``regsam_flow.guards``
    (:func:`plugin_guards`) are known to the workflows.  For other adapters
    (``store``, ``notifier``, ``clock``, more ``guards``) make an
    :class:`Engine` directly."""
    if bind_login is None:
        bind_login = os.environ.get("REGSAM_FLOW_BIND_LOGIN", "").lower() in (
            "1",
            "yes",
            "true",
            "on",
        )
    notifier = maildir_notifier(maildir) if maildir is not None else None
    return Engine(
        url,
        workflow_dirs=workflow_dirs,
        guards=plugin_guards(),
        notifier=notifier,
        bind_login=bind_login,
        auth_policy=auth_policy,
    )


def plugin_guards() -> dict[str, Guard]:
    """The guards installed packages register under the entry point group
    ``regsam_flow.guards`` (entry point name: the guard's name in workflow
    files; its object: the guard, a callable taking a
    :class:`~regsam_flow.guards.GuardContext`).  One that cannot be loaded
    is an :class:`InvalidWorkflowError` naming it."""
    from importlib.metadata import entry_points

    from .errors import InvalidWorkflowError
    from .i18n import _

    guards: dict[str, Guard] = {}
    for ep in entry_points(group=GUARD_ENTRY_POINTS):
        try:
            guard = ep.load()
        except Exception as exc:  # an installed plugin's fault: name it, do not crash
            problem = f"{type(exc).__name__}: {exc}"
        else:
            if callable(guard):
                guards[ep.name] = guard
                continue
            problem = _("not callable")
        raise InvalidWorkflowError(
            _(
                "guard '{name}' ({value}, entry point group {group}) cannot be used: {problem}"
            ).format(name=ep.name, value=ep.value, group=GUARD_ENTRY_POINTS, problem=problem),
            source=ep.value,
            element=ep.name,
        )
    return guards


def sql_store(url: str | None = None) -> Store:
    """The SQL store for ``url`` (default: the data folder's SQLite file)."""
    from .paths import default_db_url
    from .persistence import SqlStore

    return SqlStore(url or default_db_url())


def notifier_from_env(clock: Clock) -> Notifier:
    """The mail notifier the environment configures (REGSAM_FLOW_SMTP_URL,
    else a Maildir in the data folder)."""
    from .notifications import notifier_from_env as from_env
    from .paths import data_dir

    return from_env(data_dir(), clock=clock)


def maildir_notifier(folder: Path, clock: Clock | None = None) -> Notifier:
    """A notifier that drops each reminder as a file into the Maildir
    ``folder``; ``clock`` dates the mails (default: the system clock)."""
    from .notifications import MaildirTransport, MailNotifier

    return MailNotifier(MaildirTransport(folder), clock=clock)


def read_mail(folder: Path) -> list[EmailMessage]:
    """The messages in the Maildir ``folder``, oldest first."""
    from .notifications import read_maildir

    return read_maildir(folder)
