"""The :class:`Engine`: the one API the CLI and every embedding tool use.

Each public method is one unit of work: it checks who acts, evaluates the
guards, writes the change and its audit entry in one transaction (both or
neither), and only then runs the callbacks registered for that change.

The methods live in modules named for what they handle (``people``,
``areas``, ``agreements``, ``tasks``, ``transitions``, ``auditing``,
``selection``) on
top of ``base``, which holds the units of work and the access checks.
"""

from __future__ import annotations

from .areas import AreaOps
from .auditing import AreaSnapshot, AuditOps, replay
from .base import EVENT_KINDS, ChangeEvent
from .definitions import DefinitionOps
from .instances import InstanceOps
from .people import PeopleOps
from .reminders import ReminderOps, SendReport
from .selection import SelectionOps
from .tasks import TaskOps

__all__ = ["EVENT_KINDS", "AreaSnapshot", "ChangeEvent", "Engine", "SendReport", "replay"]


class Engine(
    SelectionOps, PeopleOps, DefinitionOps, AreaOps, ReminderOps, TaskOps, InstanceOps, AuditOps
):
    """Focus areas and their workflows, on one database.

    ``Engine(url)`` opens a database (default: a SQLite file in the user's data
    folder).  A new database must be created first with :meth:`init`; an older
    one is refused until :meth:`upgrade` (``regsam-flow init``) upgraded it.

    Every action names the person acting (``actor``); what they may do follows
    from their global roles (admin, auditor) and their roles in the area.
    Areas run on the workflow definitions deployed in the database
    (:meth:`deploy_workflow`, admins only).  Options: ``workflow_dirs``
    (folders of definition files that propose new definitions; one with the
    name and version of a deployed definition but other content is refused),
    ``guards`` (name -> Python guard), ``clock``, ``store``, ``notifier``
    (where reminders go; default: REGSAM_FLOW_SMTP_URL or a Maildir in the
    data folder).
    """
