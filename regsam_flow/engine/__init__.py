"""The :class:`Engine`: the one API the CLI and every embedding tool use.

Each public method is one unit of work: it checks who acts, evaluates the
guards, writes the change and its audit entry in one transaction (both or
neither), and only then runs the callbacks registered for that change.

The Engine is a facade: each method hands the call to the service for what
it handles (``people``, ``definitions``, ``areas``, ``agreements``,
``tasks``, ``transitions``, ``instances`` for fields and votes,
``selection``, ``reminders``, ``auditing``, ``dossier``, ``migration``, the
KG's ``meetings``, ``catalogue``, ``orders`` and ``kg_state``; ``health`` for
monitoring), a plain class in the
module of that name.  The services share one :class:`~.context.EngineContext` (the
store, clock, notifier, guards, deployed workflows, callbacks and the units
of work); helpers they share are functions (:mod:`.access`, and e.g.
:func:`.agreements.store_agreement`, :func:`.transitions.fire_in`), never a
base class.  A new rule goes into the service that handles it; a new public
method gets a one-line delegation here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..auth import ApiTokenInfo, Authenticated, AuthPolicy, NewApiToken, SessionGrant, SessionInfo
from ..guards import Guard
from ..kg import (
    Attachment,
    AttachmentFile,
    CatalogueVersion,
    DocumentCheck,
    Dossier,
    Goal,
    KgFacts,
    KgMessage,
    KgState,
    Measure,
    Meeting,
    MissingResource,
    RenderedDocument,
    Responsible,
    WorkOrder,
)
from ..model import (
    Agreement,
    Area,
    AreaStatus,
    Assessment,
    AuditEntry,
    AuditHead,
    Ballot,
    Candidate,
    FireResult,
    MigrationPlan,
    NewArea,
    NextStep,
    Nomination,
    Person,
    Reminder,
    SchedulerPass,
    TaskRow,
    TaskStatus,
    VerifyResult,
    Vote,
)
from ..ports import Clock, DocumentRenderer, Notifier, Store
from ..workflows import DeployedWorkflows, Workflow, WorkflowRegistry
from .agreements import AgreementService
from .areas import AreaService
from .auditing import AreaSnapshot, AuditService, replay
from .auth import AuthService
from .backup import BackupResult
from .backup import backup as take_backup
from .catalogue import CatalogueService
from .context import EVENT_KINDS, ChangeEvent, EngineContext
from .definitions import DefinitionService
from .dossier import DossierService
from .final_document import FinalDocumentService
from .health import Health, HealthProblem, HealthService
from .inbox import InboxItem, InboxService
from .instances import InstanceService
from .kg_state import KgStateService
from .meetings import MeetingService
from .migration import MigrationService
from .orders import OrderService
from .overview import AreaOverview, OverviewService
from .people import PeopleService
from .reminders import PlannedSend, ReminderService, SendReport
from .selection import SelectionService
from .tasks import TaskService
from .transitions import TransitionService

__all__ = [
    "EVENT_KINDS",
    "AreaOverview",
    "AreaSnapshot",
    "ChangeEvent",
    "Engine",
    "EngineContext",
    "Health",
    "HealthProblem",
    "InboxItem",
    "PlannedSend",
    "SendReport",
    "replay",
]


class Engine:
    """Focus areas and their workflows, on one :class:`~regsam_flow.ports.Store`.

    This is the core: it knows the ports only.  ``Engine(store=...)`` runs
    on the store given; reminders go to ``notifier`` (or the one
    ``notifier_factory(clock)`` makes on first use); ``renderer`` renders
    the final documentation.  Embedders and front ends use
    :class:`regsam_flow.Engine` (``Engine(url)``) or
    :func:`regsam_flow.bootstrap.open_engine`, which plug in the SQL store,
    the mail notifier and the document renderer; see there for the options.

    Each method hands the call to the service for what it handles; the
    services share :attr:`context` (an :class:`EngineContext`).
    """

    def __init__(
        self,
        *,
        store: Store,
        workflow_dirs: Sequence[Path | str] = (),
        guards: Mapping[str, Guard] | None = None,
        clock: Clock | None = None,
        notifier: Notifier | None = None,
        notifier_factory: Callable[[Clock], Notifier] | None = None,
        renderer: DocumentRenderer | None = None,
        bind_login: bool = False,
        auth_policy: AuthPolicy | None = None,
    ) -> None:
        ctx = EngineContext(
            store=store,
            workflow_dirs=workflow_dirs,
            guards=guards,
            clock=clock,
            notifier=notifier,
            notifier_factory=notifier_factory,
            renderer=renderer,
            bind_login=bind_login,
            auth_policy=auth_policy,
        )
        self.context = ctx
        self._people = PeopleService(ctx)
        self._definitions = DefinitionService(ctx)
        self._areas = AreaService(ctx)
        self._agreements = AgreementService(ctx)
        self._tasks = TaskService(ctx)
        self._transitions = TransitionService(ctx)
        self._instances = InstanceService(ctx)
        self._selection = SelectionService(ctx)
        self._reminders = ReminderService(ctx)
        self._audit = AuditService(ctx)
        self._dossier = DossierService(ctx)
        self._final = FinalDocumentService(ctx)
        self._migration = MigrationService(ctx)
        self._meetings = MeetingService(ctx)
        self._catalogue = CatalogueService(ctx)
        self._orders = OrderService(ctx)
        self._kg_state = KgStateService(ctx)
        self._inbox = InboxService(ctx)
        self._overview = OverviewService(ctx)
        self._auth = AuthService(ctx)
        self._health = HealthService(ctx)

    # ---------------------------------------------------------------- sign-in
    @property
    def auth_policy(self) -> AuthPolicy:
        """Sign-in's limits (``auth_policy`` given, else the defaults)."""
        return self.context.auth_policy

    def request_sign_in(self, email: str, *, browser: str, client: str, link_base: str) -> None:
        """Mail a one-time sign-in link (``link_base`` + token, valid
        :attr:`AuthPolicy.link_minutes`, only for the browser whose cookie
        value is ``browser``) to the person with this address.  For an
        unknown address the same work and answer, but no mail.  Too many
        requests for the address or from the ``client``: RateLimitedError."""
        return self._auth.request_sign_in(
            email, browser=browser, client=client, link_base=link_base
        )

    def redeem_sign_in(
        self, token: str, *, browser: str, client: str = "", user_agent: str = ""
    ) -> SessionGrant:
        """A new session for a sign-in link's token, once, in time, from the
        browser that asked; AuthenticationError otherwise.  Audited."""
        return self._auth.redeem_sign_in(
            token, browser=browser, client=client, user_agent=user_agent
        )

    def session(self, secret: str) -> Authenticated:
        """Who holds this live session cookie; AuthenticationError otherwise."""
        return self._auth.session(secret)

    def sign_out(self, secret: str) -> None:
        """End the session of this cookie (audited); an unknown one: nothing happens."""
        return self._auth.sign_out(secret)

    def sessions(self, *, actor: str) -> list[SessionInfo]:
        """The actor's own live sessions, the newest first."""
        return self._auth.sessions(actor=actor)

    def end_session(self, session_id: str, *, actor: str) -> None:
        """End one of the actor's own sessions (audited); NotFoundError otherwise."""
        return self._auth.end_session(session_id, actor=actor)

    def sign_out_everywhere(self, *, actor: str) -> int:
        """End all the actor's sessions (audited); return how many."""
        return self._auth.sign_out_everywhere(actor=actor)

    def create_api_token(self, name: str, *, actor: str) -> NewApiToken:
        """A new personal API token named ``name`` (its secret returned this once).  Audited."""
        return self._auth.create_api_token(name, actor=actor)

    def api_tokens(self, *, actor: str) -> list[ApiTokenInfo]:
        """The actor's own API tokens with their last use, revoked ones included."""
        return self._auth.api_tokens(actor=actor)

    def revoke_api_token(self, token_id: str, *, actor: str) -> ApiTokenInfo:
        """Revoke one's own API token (an admin: anyone's), at once everywhere.  Audited."""
        return self._auth.revoke_api_token(token_id, actor=actor)

    def authenticate_token(self, secret: str) -> Authenticated:
        """Whose live API token this is; AuthenticationError otherwise."""
        return self._auth.authenticate_token(secret)

    def person_for_proxy(self, login: str) -> str:
        """The person a trusted proxy's header names (an id or an email,
        case-insensitive); AuthenticationError if none."""
        return self._auth.person_for_proxy(login)

    # ---------------------------------------------------------------- adapters
    @property
    def store(self) -> Store:
        """The store the engine runs on."""
        return self.context.store

    @property
    def url(self) -> str:
        """The store's database URL, as given (a password included: show
        ``store.shown_url`` to a person)."""
        return self.context.store.url

    @property
    def clock(self) -> Clock:
        """The clock every change is stamped with."""
        return self.context.clock

    @property
    def bind_login(self) -> bool:
        """Whether every action must be taken by the person named like the login."""
        return self.context.bind_login

    @property
    def login(self) -> str:
        """The database login this engine connects as (PostgreSQL's
        session_user).  With ``bind_login=True`` every action must be taken
        by the person of that id: ``--as`` cannot act as someone else."""
        return self.context.login

    @property
    def notifier(self) -> Notifier:
        """Where reminders go: the ``notifier`` given, else the one
        ``notifier_factory`` makes on first use (``regsam_flow.Engine``'s:
        REGSAM_FLOW_SMTP_URL, or a Maildir in the data folder)."""
        return self.context.notifier

    @notifier.setter
    def notifier(self, value: Notifier) -> None:
        self.context.notifier = value

    # ------------------------------------------------------------------- setup
    @property
    def workflows(self) -> DeployedWorkflows:
        """The workflow definitions deployed in the database: the rules areas
        run on (read on first use)."""
        return self.context.workflows

    @property
    def local_workflows(self) -> WorkflowRegistry:
        """The definition files: the shipped ones and those in ``workflow_dirs``.
        They only propose definitions; an admin deploys them."""
        return self.context.local_workflows

    def register_guard(self, name: str, guard: Guard) -> None:
        """Make ``guard`` available to workflow definitions under ``name``."""
        self.context.register_guard(name, guard)

    def on(self, kind: str, callback: Callable[[ChangeEvent], None]) -> None:
        """Run the callback after each committed change of that kind, one of
        :data:`EVENT_KINDS`: ``transition`` (a phase change), ``approval``
        (one role's approval of a transition that needs several), ``task``,
        ``agreement`` (set or signed), ``assignment`` (a role given or taken),
        ``area`` (created), ``person`` (added or changed), ``review`` (a
        review-date decision), ``reminder`` (sent, failed, superseded, ...,
        and the KG's mails sent, failed or cancelled),
        ``fields`` (instance data set), ``vote`` (cast in a selection),
        ``workflow`` (a definition deployed, an area moved to another
        version), ``kg`` (the KG's work: a meeting recorded or planned, an
        attachment, a goal or measure added, the catalogue adopted, a goal
        rated, a work order issued or reported on, a missing resource
        recorded, the final documentation recorded), ``sign_in`` (someone
        signed in or out, an API token created or revoked); ``*`` for all.  A
        failing callback is logged; the change stays committed."""
        self.context.on(kind, callback)

    def schema_status(self) -> tuple[str | None, str]:
        """(schema revision of the database or None, revision this code needs)."""
        return self.context.store.schema_status()

    def upgrade(self) -> tuple[str | None, str]:
        """Create the schema or upgrade it to this version's; safe to repeat."""
        result = self.context.store.upgrade()
        self.context.schema_changed()
        return result

    def schema_sql(self) -> str:
        """The SQL that would create the schema, or upgrade it from the
        revision the database has, in the database's dialect: for a database
        administrator to review.  Changes nothing (creates no SQLite file)."""
        return self.context.store.schema_sql()

    def backup(self, target: str, *, actor: str | None = None, force: bool = False) -> BackupResult:
        """Copy the database (SQLite) to the file ``target``; the copy is kept
        only if its audit chain verifies and ends at the head the database had
        when it was taken.  An existing ``target`` is refused unless ``force``.
        With ``actor`` (a person acting): admins only, as the copy holds
        everything (on a schema this version does not read yet, such as
        before an upgrade: whoever may read the database).  PostgreSQL is
        refused: see the README's "Sicherung"."""
        return take_backup(self.context, target, actor=actor, force=force)

    def close(self) -> None:
        """Close the store's connections."""
        self.context.store.close()

    # ------------------------------------------------------------------ people
    def init(
        self,
        admin: str | None = None,
        *,
        name: str = "",
        email: str = "",
        actor: str | None = None,
        only_first: bool = False,
    ) -> bool:
        """Create or upgrade the database, deploy the shipped workflow
        definitions it does not hold yet; make ``admin`` an admin (created if
        new); all in one transaction: all of it, or nothing.  Returns True if
        the admin was created or promoted now.

        On a database without an admin this makes the first one.  Once there
        is an admin, init only upgrades the schema: making someone an admin
        is then an admin's act, so ``actor`` must be an admin (otherwise
        :class:`NotAllowedError`); with ``only_first`` the admin is made only
        if there is none yet, else nothing happens."""
        return self._people.init(admin, name=name, email=email, actor=actor, only_first=only_first)

    def promote(
        self, person_id: str, *, actor: str, admin: bool = False, auditor: bool = False
    ) -> Person:
        """Give ``person_id`` the global role admin and/or auditor (admins
        only); roles they hold already are kept.  Audited."""
        return self._people.promote(person_id, actor=actor, admin=admin, auditor=auditor)

    def add_person(
        self,
        person_id: str,
        *,
        actor: str,
        name: str,
        email: str,
        org: str = "",
        admin: bool = False,
        auditor: bool = False,
    ) -> Person:
        """Add a person (admins only)."""
        return self._people.add_person(
            person_id, actor=actor, name=name, email=email, org=org, admin=admin, auditor=auditor
        )

    def get_person(self, person_id: str, *, actor: str) -> Person:
        """The person ``person_id`` (any known person may look them up)."""
        return self._people.get_person(person_id, actor=actor)

    def list_people(self, *, actor: str) -> list[Person]:
        """Everybody (any known person may look up whom to assign)."""
        return self._people.list_people(actor=actor)

    def set_decision_mails(self, person_id: str, on: bool, *, actor: str) -> Person:
        """Whether ``person_id`` gets the decisions of the KG's meetings by
        mail (they may opt out; work order reminders always go out): the
        person themself or an admin sets it; audited."""
        return self._people.set_decision_mails(person_id, on, actor=actor)

    # ------------------------------------------------------------- definitions
    def deploy_workflow(self, path: Path | str, *, actor: str) -> tuple[Workflow, bool]:
        """Store the definition in ``path`` in the database (admins only;
        audited), so new areas can run on it.  Returns the workflow and
        whether it was deployed now (False: the same text was deployed
        already).  Other content under a deployed name and version is refused:
        a deployed definition never changes."""
        return self._definitions.deploy_workflow(path, actor=actor)

    def deploy_workflow_text(self, text: str, *, source: str, actor: str) -> tuple[Workflow, bool]:
        """:meth:`deploy_workflow` for a definition given as its text (a
        front end that received it, e.g. the service); ``source`` is the
        file name it came as (recorded with it, named in its errors)."""
        return self._definitions.deploy_text(text, source, actor=actor)

    def migrate_area(
        self,
        area_id: str,
        to_version: int,
        *,
        actor: str,
        dry_run: bool = False,
        reason: str = "",
        workflow: str | None = None,
        expected_version: int | None = None,
    ) -> MigrationPlan:
        """Move a running area to another deployed version (higher or lower)
        of its workflow (admins or the area's moderation; audited as
        ``workflow_migrated``), in one transaction.  The plan says what
        stands in the way (``problems``: e.g. ``state_missing`` when the
        area's phase is not in the target) and what would block its next
        step under the target's rules; with problems nothing moves
        (:class:`BlockedError` naming them all).  ``dry_run``: only the
        plan, nothing written.  ``workflow``, if given, must be the area's
        (else ``workflow_differs``).  ``expected_version``: the area's version
        the caller saw (a move of another: :class:`ConflictError`).  See
        :mod:`.migration` for the rules."""
        return self._migration.migrate_area(
            area_id,
            to_version,
            actor=actor,
            dry_run=dry_run,
            reason=reason,
            workflow=workflow,
            expected_version=expected_version,
        )

    # ------------------------------------------------------------------- areas
    def create_area(
        self,
        area_id: str,
        *,
        actor: str,
        name: str,
        district: str = "",
        workflow: str = "schwerpunktgebiet",
        agreement: Mapping[str, Any] | None = None,
        members: Sequence[tuple[str, str]] = (),
        fields: Mapping[str, Any] | None = None,
        workflow_version: int | None = None,
    ) -> Area:
        """Create an area on the newest deployed version of ``workflow`` (admins only),
        or on ``workflow_version`` if given (one not deployed:
        :class:`InvalidInputError` naming the deployed ones), with its first
        ``members`` ((role, person) pairs), ``fields`` and ``agreement``, all
        in one transaction: all of it, or nothing."""
        return self._areas.create_area(
            area_id,
            actor=actor,
            name=name,
            district=district,
            workflow=workflow,
            agreement=agreement,
            members=members,
            fields=fields,
            workflow_version=workflow_version,
        )

    def create_areas(self, areas: Sequence[NewArea], *, actor: str) -> list[Area]:
        """Create several areas (admins only) in one transaction: all of them,
        or, if any one cannot be created, none.  Every area is checked before
        anything is written; an error names the area by its ``label``."""
        return self._areas.create_areas(areas, actor=actor)

    def list_areas(self, *, actor: str, state: str | None = None) -> list[Area]:
        """The areas ``actor`` may see (admins and auditors: all)."""
        return self._areas.list_areas(actor=actor, state=state)

    def area_overview(
        self,
        *,
        actor: str,
        state: str | None = None,
        review_within: int | None = None,
        owes: str | None = None,
    ) -> list[AreaOverview]:
        """The areas ``actor`` may see at a glance: phase, next step and who
        owes it, open required tasks, review date and days left; only those
        in ``state`` (a phase of a deployed workflow, else
        :class:`InvalidInputError` listing them), with a review date at most
        ``review_within`` days away or past, whose next step ``owes`` owes."""
        return self._overview.overview(
            actor=actor, state=state, review_within=review_within, owes=owes
        )

    def iter_area_overview(
        self,
        *,
        actor: str,
        state: str | None = None,
        review_within: int | None = None,
        owes: str | None = None,
    ) -> Iterator[AreaOverview]:
        """The rows :meth:`area_overview` returns, one at a time as the
        areas are read: the first comes at once however many areas there
        are.  The input and the person are checked before this returns; a
        read transaction stays open until the rows run out or the iterator
        is closed."""
        return self._overview.iter_overview(
            actor=actor, state=state, review_within=review_within, owes=owes
        )

    def known_states(self) -> list[str]:
        """Every phase of every deployed workflow version, sorted."""
        return self._overview.known_states()

    def inbox(self, *, actor: str) -> list[InboxItem]:
        """Everything waiting for ``actor`` across the areas they hold a role
        in, most urgent first, each with the command that does it (see
        :mod:`regsam_flow.engine.inbox`)."""
        return self._inbox.inbox(actor=actor)

    def get_area(self, area_id: str, *, actor: str) -> Area:
        """The area, if ``actor`` may see it (else: no such area)."""
        return self._areas.get_area(area_id, actor=actor)

    def assign(
        self,
        area_id: str,
        role: str,
        person_id: str,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> None:
        """Give ``person_id`` a role in the area.  Admins assign any role; the
        area's moderation may assign steering, provider and sbh.
        ``expected_version``: the area's version the caller saw (else
        :class:`ConflictError`, nothing written)."""
        return self._areas.assign(
            area_id, role, person_id, actor=actor, expected_version=expected_version
        )

    def unassign(
        self,
        area_id: str,
        role: str,
        person_id: str,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> None:
        """Take a role in the area away from ``person_id`` (same rights as
        assign; ``expected_version`` as there)."""
        return self._areas.unassign(
            area_id, role, person_id, actor=actor, expected_version=expected_version
        )

    # -------------------------------------------------------------- agreements
    def agreement(
        self, area_id: str, *, actor: str, version: int | None = None
    ) -> Agreement | None:
        """The area's agreement (newest version, or the one asked for)."""
        return self._agreements.agreement(area_id, actor=actor, version=version)

    def set_agreement(
        self,
        area_id: str,
        *,
        actor: str,
        expected_version: int | None = None,
        **changes: Any,
    ) -> Agreement:
        """Change fields of the agreement (moderation or social planning).

        Fields: topic, scope, reasons, partners, terms, duration (text), start,
        review (:class:`datetime.date` or a date string).  Each change makes a
        new version and voids the signatures.
        """
        return self._agreements.set_agreement(
            area_id, actor=actor, expected_version=expected_version, **changes
        )

    def sign_agreement(
        self,
        area_id: str,
        *,
        actor: str,
        role: str | None = None,
        expected_version: int | None = None,
    ) -> Agreement:
        """Sign the current agreement for your role (moderation or social planning)."""
        return self._agreements.sign_agreement(
            area_id, actor=actor, role=role, expected_version=expected_version
        )

    def agreement_history(self, area_id: str, *, actor: str) -> list[Agreement]:
        """Every version of the agreement, oldest first."""
        return self._agreements.agreement_history(area_id, actor=actor)

    # ----------------------------------------------------- final documentation
    def dossier(self, area_id: str, *, actor: str) -> Dossier:
        """What the area's final documentation shows (agreement and its
        history, phases, review decisions, the KG's records); anyone who may
        read the area may read it.  Render it with :mod:`regsam_flow.documents`."""
        return self._dossier.dossier(area_id, actor=actor)

    def record_final_document(
        self, area_id: str, *, format: str, actor: str, expected_version: int | None = None
    ) -> RenderedDocument:
        """Render the final documentation in ``format`` (``html``, ``md``) and
        record it (the bytes' SHA-256 goes into the audit log), in one unit
        of work: moderation, in the phase ``auswertung``.  Returns the record
        and the bytes to write; ``check_final_document`` later tells whether
        a file is them."""
        return self._final.record(
            area_id, fmt=format, actor=actor, expected_version=expected_version
        )

    def check_final_document(self, area_id: str, content: bytes, *, actor: str) -> DocumentCheck:
        """Whether ``content`` is the area's recorded final documentation."""
        return self._final.check(area_id, content, actor=actor)

    # ------------------------------------------------------------------- tasks
    def tasks(self, area_id: str, *, actor: str, phase: str | None = None) -> list[TaskRow]:
        """The tasks of every phase (or one), with who reported them."""
        return self._tasks.tasks(area_id, actor=actor, phase=phase)

    def report_task(
        self,
        area_id: str,
        task_id: str,
        *,
        actor: str,
        note: str = "",
        expected_version: int | None = None,
    ) -> TaskStatus:
        """Report a task of the current phase done (by a role the task names)."""
        return self._tasks.report_task(
            area_id, task_id, actor=actor, note=note, expected_version=expected_version
        )

    def reopen_task(
        self,
        area_id: str,
        task_id: str,
        *,
        actor: str,
        reason: str,
        expected_version: int | None = None,
    ) -> TaskStatus:
        """Mark a reported task open again; a reason is required."""
        return self._tasks.reopen_task(
            area_id, task_id, actor=actor, reason=reason, expected_version=expected_version
        )

    # ------------------------------------------------------------- transitions
    def why(self, area_id: str, *, actor: str) -> list[NextStep]:
        """Every transition out of the current phase, for ``actor``: allowed or
        not, with all blockers."""
        return self._transitions.why(area_id, actor=actor)

    def advance(
        self, area_id: str, *, actor: str, reason: str = "", expected_version: int | None = None
    ) -> FireResult:
        """Fire the forward transition of the area's current phase."""
        return self._transitions.advance(
            area_id, actor=actor, reason=reason, expected_version=expected_version
        )

    def fire(
        self,
        area_id: str,
        trigger: str,
        *,
        actor: str,
        reason: str = "",
        role: str | None = None,
        expected_version: int | None = None,
    ) -> FireResult:
        """Fire a named transition.  For a transition that needs several
        approvals this records the actor's and fires once all are given;
        the result's ``missing`` names who is still to approve."""
        return self._transitions.fire(
            area_id,
            trigger,
            actor=actor,
            reason=reason,
            role=role,
            expected_version=expected_version,
        )

    def status(self, area_id: str, *, actor: str) -> AreaStatus:
        """Phase, people by role, agreement, tasks and next steps with blockers."""
        return self._transitions.status(area_id, actor=actor)

    # --------------------------------------------------------------- instances
    def fields(self, area_id: str, *, actor: str) -> dict[str, Any]:
        """The instance's fields (what is set)."""
        return self._instances.fields(area_id, actor=actor)

    def set_fields(
        self,
        area_id: str,
        values: Mapping[str, Any],
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> dict[str, Any]:
        """Set fields of the instance; each by a role the field names
        (``expected_version``: the area's version the caller saw)."""
        return self._instances.set_fields(
            area_id, values, actor=actor, expected_version=expected_version
        )

    def votes(self, area_id: str, *, actor: str) -> list[Vote]:
        """The votes cast in the area's current round."""
        return self._instances.votes(area_id, actor=actor)

    def vote(
        self, area_id: str, yes: bool, *, actor: str, reason: str = "", role: str | None = None
    ) -> FireResult | None:
        """Cast a vote in the area's current state.  When the last seat has
        voted, the outcome transition fires at once (all yes, all no, or
        otherwise); that result is returned, else None."""
        return self._instances.vote(area_id, yes, actor=actor, reason=reason, role=role)

    def cast_vote(
        self, area_id: str, yes: bool, *, actor: str, reason: str = "", role: str | None = None
    ) -> Ballot:
        """:meth:`vote`, telling how many of the seats have voted so far."""
        return self._instances.cast_vote(area_id, yes, actor=actor, reason=reason, role=role)

    # --------------------------------------------------------------- selection
    def nominate(
        self, nominations: Sequence[Nomination], *, actor: str, like: str | None = None
    ) -> list[Candidate]:
        """Nominate candidates (admins), all in one transaction or none: each
        with ``actor`` as its nominator, its panel (``like``: the roles of that
        candidate but its nominator, copied to each), and its nomination
        fields.  Each would become the focus area its ``area`` names: that
        area must not exist yet, nor be named by two candidates.  Candidates
        run on the newest deployed version of the selection workflow."""
        return self._selection.nominate(nominations, actor=actor, like=like)

    def nomination_fields(self, nomination: Nomination) -> dict[str, Any]:
        """The fields (by field id) :meth:`nominate` gives ``nomination`` on
        the newest deployed selection workflow; empty ones are not set."""
        return self._selection.nomination_fields(nomination)

    def assess(
        self,
        candidate: str,
        *,
        actor: str,
        fits: bool | str | None = None,
        hours: int | str | None = None,
        duration: str | None = None,
        special_programme: bool | str | None = None,
        reason: str = "",
    ) -> Assessment:
        """Record the assessment (REGSAM or social-planning members) and, once
        it is complete, conclude it: the candidate goes to the vote, or is
        excluded when a special programme runs there (that needs a
        ``reason``).  Checked against the candidate's own workflow version;
        the fields and the transition are written together, or nothing is."""
        return self._selection.assess(
            candidate,
            actor=actor,
            fits=fits,
            hours=hours,
            duration=duration,
            special_programme=special_programme,
            reason=reason,
        )

    def decide(self, candidate: str, decision: str, *, actor: str, reason: str = "") -> FireResult:
        """The ARGE Freie/Öffentliche (on dissent), or finally the head of the
        social department, decides: ``select``, ``reject`` or (the ARGE only)
        ``dissent``, which passes the decision on."""
        return self._selection.decide(candidate, decision, actor=actor, reason=reason)

    def candidates(self, *, actor: str, round: str | None = None) -> list[Candidate]:
        """The candidates ``actor`` may see (of one selection ``round``), with
        their phase, read in one transaction."""
        return self._selection.candidates(actor=actor, round=round)

    # --------------------------------------------------------------- reminders
    def review(
        self,
        area_id: str,
        *,
        actor: str,
        decision: str,
        next_review: date | str | None = None,
        reason: str = "",
        expected_version: int | None = None,
    ) -> None:
        """Record the decision taken at the review date: ``continue`` (with
        the next review date, an agreement amendment; a date or its text,
        ISO or German) or ``end``.  It stops
        the reminders for that date.  Returns nothing: the decision is in the
        audit log, a new review date in the agreement (:meth:`agreement`).
        ``expected_version``: the area's version the caller saw (else
        :class:`ConflictError`, nothing written)."""
        return self._reminders.review(
            area_id,
            actor=actor,
            decision=decision,
            next_review=next_review,
            reason=reason,
            expected_version=expected_version,
        )

    def reminders(
        self, *, actor: str, area: str | None = None, status: str | None = None
    ) -> list[Reminder]:
        """Reminders of the areas ``actor`` may see (admins, auditors: all)."""
        return self._reminders.reminders(actor=actor, area=area, status=status)

    def retry_reminder(self, reminder_id: int, *, actor: str) -> Reminder:
        """Queue a failed reminder again (admins, the area's moderation or
        social planning)."""
        return self._reminders.retry_reminder(reminder_id, actor=actor)

    def kg_mails(
        self, *, actor: str, area: str | None = None, status: str | None = None
    ) -> list[KgMessage]:
        """The KG's mails (planned, sent, failed, cancelled) of the areas
        ``actor`` may see (admins, auditors: all), by due time."""
        return self._reminders.kg_mail.messages(actor=actor, area=area, status=status)

    def next_reminder_at(self) -> datetime | None:
        """When the next pending reminder falls due (for schedulers)."""
        return self._reminders.next_reminder_at()

    def send_due(
        self,
        now: datetime | str | None = None,
        *,
        worker: str | None = None,
        limit: int = 200,
        actor: str | None = None,
        dry_run: bool = False,
        every: float | None = None,
    ) -> SendReport:
        """Send every reminder due at ``now`` (default: the engine's clock),
        each exactly once.

        Due reminders are claimed in the database first (a lease), so
        several schedulers can run at once.  Of the due reminders of one
        review date only the newest is sent; the older are superseded.  A
        failed delivery is retried with backoff and marked failed after the
        policy's ``max_attempts``.  Each reminder is handled on its own: one
        that cannot be read or processed is marked failed (with the reason,
        logged and audited) and the pass goes on with the others.

        A pass first gives back what an earlier pass consumed at a moment
        that proves to lie in the future (the clock had run ahead): such
        superseded and failed reminders are pending again (a retry planned
        then among them waits no longer than its due time), and after a
        reminder sent too early the weekly overdue series goes on from the
        present.

        The same pass sends the KG's due mails (a recorded meeting's
        decisions, due and overdue work orders: ``report.messages``) under
        the same rules; one no longer owed (the order settled, the area
        closed) is cancelled instead.

        ``now`` pretends another moment (tests, replays, embedding): a
        datetime with a zone, or text such as ``"15.07.2027 09:00"``.  A
        person running a pass by hand passes ``actor``: then only an admin
        may give ``now`` or ask for a dry run, and a ``now`` later than the
        clock only ever makes a dry run.  ``dry_run`` changes nothing and
        reports what would go out.

        ``every`` (seconds) says how often this pass runs (a scheduler's
        poll interval, cron's period): a pass that is not dry is then
        recorded for :meth:`health` under ``worker`` (or ``send-due@<host>``),
        so that monitoring sees when the passes stop."""
        if every is not None:
            self._health.check_interval(every)
        report = self._reminders.send_due(
            now, worker=worker, limit=limit, actor=actor, dry_run=dry_run
        )
        if every is not None and not report.dry_run:
            self._health.record_after_pass(worker, every)
        return report

    def record_scheduler_pass(self, worker: str, poll_seconds: float) -> SchedulerPass:
        """Record that ``worker`` (a scheduler) completed a send pass now, and
        that it looks at the database every ``poll_seconds``: :meth:`health`
        reads it to tell a scheduler that stopped.  :meth:`send_due` with
        ``every`` records its pass so itself."""
        return self._health.record_pass(worker, poll_seconds)

    def health(self, max_age: float | None = None) -> Health:
        """The installation's health, for monitoring (no person acts; it names
        no person and no area): the database reachable, its schema this
        code's, the mail settings usable, the latest scheduler pass recent
        (not older than ``max_age`` seconds, default three of that
        scheduler's poll intervals and a minute), no reminder failed.  Never
        raises for what it finds: each finding is a problem in the report."""
        return self._health.check(max_age)

    # ---------------------------------------------------------------- auditing
    def history(
        self,
        *,
        actor: str,
        area: str | None = None,
        since: datetime | date | str | None = None,
        until: datetime | date | str | None = None,
        by: str | None = None,
    ) -> list[AuditEntry]:
        """Audit entries in order.  Admins and auditors see all; others only
        the entries of the areas they are assigned to.  ``since``/``until``:
        a datetime with a zone, a date (``until``: its end) or their text,
        ISO or German (``"15.01.2027"``, ``"2027-01-15T10:30"``)."""
        return self._audit.history(actor=actor, area=area, since=since, until=until, by=by)

    def iter_history(
        self,
        *,
        actor: str,
        area: str | None = None,
        since: datetime | date | str | None = None,
        until: datetime | date | str | None = None,
        by: str | None = None,
    ) -> Iterator[AuditEntry]:
        """The entries :meth:`history` returns, one at a time as the store
        reads them: the first comes at once and memory stays flat however
        long the log.  Who may see what is checked before this returns (an
        error raises here, nothing is handed out); a read transaction stays
        open until the entries run out or the iterator is closed."""
        return self._audit.iter_history(actor=actor, area=area, since=since, until=until, by=by)

    def head(self, *, actor: str | None = None) -> AuditHead:
        """The newest entry's count and hash: keep it to prove later that
        nothing was cut from the end.  With ``actor`` (a front end acting for
        a person): a known person."""
        return self._audit.head(actor=actor)

    def export_audit(self, write: Callable[[str], object], *, actor: str) -> AuditHead:
        """The exact export of the whole audit log, handed to ``write`` line
        by line (JSON lines: every stored field as hashed, then the head; see
        :mod:`regsam_flow.audit_export` and the standalone checker
        :mod:`regsam_flow.verify`).  Auditors and admins only, as reading
        the whole log is.  Returns the head written last."""
        return self._audit.export(write, actor=actor)

    def verify(
        self,
        expect_head: str | None = None,
        *,
        since: str | None = None,
        deep: bool = False,
        actor: str | None = None,
    ) -> VerifyResult:
        """Recompute the whole chain.  ``expect_head`` (``N:HASH`` as printed by
        :meth:`head`, or a bare hash) must still be part of it.  ``since``
        (``COUNT:HASH`` of a head kept earlier): verify only the entries after
        it, so a regular check costs only what was added; the stored entry
        COUNT must still have that hash (a failed result names it if not),
        the entries up to it are trusted, not re-read.  ``deep``: also
        replay the log and compare the live tables with it (phases,
        assignments, agreement versions and signatures, tasks, approvals,
        fields, people and their global roles), naming each disagreement.
        With ``actor`` (a front end acting for a person, such as the
        service): a known person, and for ``deep`` (its findings name areas
        and people anywhere) an auditor or an admin; without, whoever holds
        the database (the CLI, an embedder) may check it."""
        return self._audit.verify(expect_head, since=since, deep=deep, actor=actor)

    def as_of(self, area_id: str, when: datetime | date | str, *, actor: str) -> AreaSnapshot:
        """The area's phase, assignments and agreement at ``when`` (a datetime
        with a zone; a date or ``"15.01.2027"``: the end of that day in
        Berlin; ``"15.01.2027 14:30"``), reconstructed from the audit log alone."""
        return self._audit.as_of(area_id, when, actor=actor)

    # ------------------------------------------------------------ KG meetings
    def record_meeting(
        self,
        area_id: str,
        *,
        actor: str,
        held_on: date | str,
        place: str,
        attendees: Sequence[str] = (),
        guests: Sequence[str] = (),
        decisions: Sequence[str] = (),
        minutes: str = "",
        attachments: Sequence[AttachmentFile] = (),
        planned: bool = False,
        expected_version: int | None = None,
    ) -> Meeting:
        """Record a KG meeting (moderation or social planning): date (a date
        or its text, ISO or German), place,
        attendees (people of the area by id, named guests), decisions,
        minutes, attachments; a future date only as ``planned``.
        ``expected_version``: the area's version the caller saw (else
        :class:`ConflictError`, nothing written); likewise for the KG's
        other changes below."""
        return self._meetings.record_meeting(
            area_id,
            actor=actor,
            held_on=held_on,
            place=place,
            attendees=attendees,
            guests=guests,
            decisions=decisions,
            minutes=minutes,
            attachments=attachments,
            planned=planned,
            expected_version=expected_version,
        )

    def add_attachment(
        self,
        area_id: str,
        meeting_id: int,
        file: AttachmentFile,
        *,
        actor: str,
        expected_version: int | None = None,
    ) -> Attachment:
        """Attach a file (at most 5 MB) to a meeting of the area."""
        return self._meetings.add_attachment(
            area_id, meeting_id, file, actor=actor, expected_version=expected_version
        )

    def meetings(self, area_id: str, *, actor: str) -> list[Meeting]:
        """The area's KG meetings by date, numbered from 1."""
        return self._meetings.meetings(area_id, actor=actor)

    def meeting(self, area_id: str, meeting_id: int, *, actor: str) -> Meeting:
        """One KG meeting of the area."""
        return self._meetings.meeting(area_id, meeting_id, actor=actor)

    def attachment_content(self, area_id: str, attachment_id: int, *, actor: str) -> bytes:
        """The stored bytes of an attachment of one of the area's meetings."""
        return self._meetings.attachment_content(area_id, attachment_id, actor=actor)

    # ----------------------------------------------------------- KG catalogue
    def add_goal(
        self,
        area_id: str,
        *,
        actor: str,
        title: str,
        description: str = "",
        expected_version: int | None = None,
    ) -> Goal:
        """Add a goal to the area's draft catalogue (moderation)."""
        return self._catalogue.add_goal(
            area_id,
            actor=actor,
            title=title,
            description=description,
            expected_version=expected_version,
        )

    def add_measure(
        self,
        area_id: str,
        goal: int,
        *,
        actor: str,
        title: str,
        responsible: Responsible,
        expected_version: int | None = None,
    ) -> Measure:
        """Add a measure to goal number ``goal`` (moderation), with who is responsible."""
        return self._catalogue.add_measure(
            area_id,
            goal,
            actor=actor,
            title=title,
            responsible=responsible,
            expected_version=expected_version,
        )

    def goals(self, area_id: str, *, actor: str) -> list[Goal]:
        """The area's draft catalogue: goals with measures and ratings."""
        return self._catalogue.goals(area_id, actor=actor)

    def adopt_catalogue(
        self, area_id: str, *, actor: str, meeting: int, expected_version: int | None = None
    ) -> CatalogueVersion:
        """Adopt the draft catalogue at a recorded meeting as its next version."""
        return self._catalogue.adopt(
            area_id, actor=actor, meeting=meeting, expected_version=expected_version
        )

    def catalogue_versions(self, area_id: str, *, actor: str) -> list[CatalogueVersion]:
        """Every adopted version of the area's catalogue, oldest first."""
        return self._catalogue.catalogue_versions(area_id, actor=actor)

    def rate_goal(
        self,
        area_id: str,
        goal: int,
        *,
        actor: str,
        rating: str,
        note: str,
        expected_version: int | None = None,
    ) -> Goal:
        """Rate goal number ``goal`` at evaluation (moderation or social planning)."""
        return self._catalogue.rate_goal(
            area_id, goal, actor=actor, rating=rating, note=note, expected_version=expected_version
        )

    def kg_facts(self, area_id: str, *, actor: str) -> KgFacts:
        """What the KG's guards look at: adopted version, changes since, goals."""
        return self._catalogue.kg_facts(area_id, actor=actor)

    def kg_state(self, area_id: str, *, actor: str) -> KgState:
        """The KG's state at a glance: meetings, catalogue, goals, orders,
        missing resources, final documentation (everyone who may read the area)."""
        return self._kg_state.kg_state(area_id, actor=actor)

    # -------------------------------------------------- KG orders, resources
    def issue_order(
        self,
        area_id: str,
        *,
        actor: str,
        meeting: int,
        title: str,
        addressee: Responsible,
        due: date | str,
        kind: str = "order",
        goal: int | None = None,
        measure: int | None = None,
        expected_version: int | None = None,
    ) -> WorkOrder:
        """Issue a work order or recommendation at a recorded meeting
        (moderation), due on ``due`` (a date or its text, ISO or German)."""
        return self._orders.issue(
            area_id, actor=actor, meeting=meeting, title=title, addressee=addressee,
            due=due, kind=kind, goal=goal, measure=measure, expected_version=expected_version,
        )  # fmt: skip

    def report_order(
        self,
        area_id: str,
        order_id: int,
        *,
        actor: str,
        status: str,
        note: str = "",
        expected_version: int | None = None,
    ) -> WorkOrder:
        """Report an order's status (its addressee, or the moderation)."""
        return self._orders.report(
            area_id, order_id, actor=actor, status=status, note=note,
            expected_version=expected_version,
        )  # fmt: skip

    def work_orders(
        self,
        area_id: str,
        *,
        actor: str,
        status: str | None = None,
        overdue: bool = False,
        mine: bool = False,
    ) -> list[WorkOrder]:
        """The area's work orders, filtered by status, overdue, addressed to the actor."""
        return self._orders.orders(area_id, actor=actor, status=status, overdue=overdue, mine=mine)

    def add_missing_resource(
        self,
        area_id: str,
        *,
        actor: str,
        text: str,
        estimate: str = "",
        expected_version: int | None = None,
    ) -> MissingResource:
        """Document a missing resource (moderation)."""
        return self._orders.add_resource(
            area_id, actor=actor, text=text, estimate=estimate, expected_version=expected_version
        )

    def missing_resources(self, area_id: str, *, actor: str) -> list[MissingResource]:
        """The area's missing resources."""
        return self._orders.resources(area_id, actor=actor)
