"""The :class:`Engine`: the one API the CLI and every embedding tool use.

Each public method is one unit of work: it checks who acts, evaluates the
guards, writes the change and its audit entry in one transaction (both or
neither), and only then runs the callbacks registered for that change.

The methods live in modules named for what they handle (``people``,
``areas``, ``agreements``, ``tasks``, ``transitions``, ``auditing``,
``selection``) on top of ``base``, which holds the units of work and the
access checks.
"""

from __future__ import annotations

from .areas import AreaOps
from .auditing import AreaSnapshot, AuditOps, replay
from .base import EVENT_KINDS, ChangeEvent
from .definitions import DefinitionOps
from .instances import InstanceOps
from .people import PeopleOps
from .reminders import PlannedSend, ReminderOps, SendReport
from .selection import SelectionOps
from .tasks import TaskOps

__all__ = [
    "EVENT_KINDS",
    "AreaSnapshot",
    "ChangeEvent",
    "Engine",
    "PlannedSend",
    "SendReport",
    "replay",
]


class Engine(
    SelectionOps, PeopleOps, DefinitionOps, AreaOps, ReminderOps, TaskOps, InstanceOps, AuditOps
):
    """Focus areas and their workflows, on one :class:`~regsam_flow.ports.Store`.

    This is the core: it knows the ports only.  ``Engine(store=...)`` runs
    on the store given; reminders go to ``notifier`` (or the one
    ``notifier_factory(clock)`` makes on first use).  Embedders and front
    ends use :class:`regsam_flow.Engine` (``Engine(url)``) or
    :func:`regsam_flow.bootstrap.open_engine`, which plug in the SQL store
    and the mail notifier; see there for the options.
    """
