"""Workflow definition files, by name and version.

The built-in definitions ship in this package; users add or override them
from folders they name.  Several versions of one workflow load side by side.
These are local files: areas run on the definitions deployed in the database
(:mod:`.deployed`); a file only proposes a definition for an admin to deploy.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from regsam_flow.errors import InvalidWorkflowError, NotFoundError
from regsam_flow.i18n import _

from .cache import load_cached
from .deployed import describe_keys
from .loader import load_workflow
from .spec import Workflow

__all__ = ["BUILTIN_DIR", "WorkflowRegistry"]

BUILTIN_DIR = Path(__file__).resolve().parent


class WorkflowRegistry:
    """Workflows by (name, version); later folders override earlier ones.

    Checked definitions are kept in a cache (:mod:`.cache`) so that reading
    an unchanged file needs neither YAML nor pydantic; ``use_cache=False``
    parses every file."""

    def __init__(
        self,
        extra_dirs: Sequence[Path | str] = (),
        known_guards: Iterable[str] | None = None,
        include_builtin: bool = True,
        use_cache: bool = True,
    ) -> None:
        self._by_key: dict[tuple[str, int], Workflow] = {}
        #: every definition read from ``extra_dirs``, overridden ones too
        self.from_folders: list[Workflow] = []
        guards = None if known_guards is None else frozenset(known_guards)
        dirs = ([BUILTIN_DIR] if include_builtin else []) + [Path(d) for d in extra_dirs]
        for folder in dirs:
            if not folder.is_dir():
                raise NotFoundError(
                    _("workflow folder {folder} does not exist").format(folder=folder),
                    kind="folder",
                    key=str(folder),
                )
            in_folder: dict[tuple[str, int], Workflow] = {}
            for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
                wf = load_cached(path, guards) if use_cache else load_workflow(path, guards)
                twin = in_folder.get(wf.key)
                if twin is not None:
                    raise InvalidWorkflowError(
                        _(
                            "{source}: name/version: {name} version {version} is defined "
                            "in {other} too; give one of them another version"
                        ).format(source=path, name=wf.name, version=wf.version, other=twin.source),
                        source=str(path),
                        element="version",
                    )
                in_folder[wf.key] = wf
            if folder != BUILTIN_DIR:
                self.from_folders.extend(in_folder.values())
            self._by_key.update(in_folder)
        names = {n for n, _v in self._by_key}
        for wf in self._by_key.values():
            for i, st in enumerate(wf.definition.states):
                if st.create_area and st.create_area.workflow not in names:
                    raise InvalidWorkflowError(
                        _(
                            "{source}: states[{i}] ({state}).create_area.workflow: no workflow "
                            "named '{workflow}' is loaded"
                        ).format(
                            source=wf.source, i=i, state=st.id, workflow=st.create_area.workflow
                        ),
                        source=wf.source,
                        element=f"states[{i}] ({st.id}).create_area.workflow",
                    )

    def __repr__(self) -> str:
        return f"<WorkflowRegistry {describe_keys(self._by_key)}>"

    def add(self, workflow: Workflow) -> None:
        self._by_key[workflow.key] = workflow

    def names(self) -> list[str]:
        return sorted({name for name, _v in self._by_key})

    def versions(self, name: str) -> list[int]:
        return sorted(v for n, v in self._by_key if n == name)

    def all(self) -> list[Workflow]:
        return [self._by_key[k] for k in sorted(self._by_key)]

    def get(self, name: str, version: int | None = None) -> Workflow:
        """The workflow of that name and version; the newest if version is None."""
        versions = self.versions(name)
        if not versions:
            known = ", ".join(self.names()) or _("none")
            raise NotFoundError(
                _("no workflow named '{name}' (known: {known})").format(name=name, known=known),
                kind="workflow",
                key=name,
            )
        wf = self._by_key.get((name, versions[-1] if version is None else version))
        if wf is None:
            raise NotFoundError(
                _("workflow '{name}' has no version {version} (versions: {versions})").format(
                    name=name, version=version, versions=", ".join(map(str, versions))
                ),
                kind="workflow",
                key=name,
            )
        return wf
