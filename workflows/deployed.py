"""The workflow definitions deployed in a database: the rules areas run on.

An admin deploys a definition (``regsam-flow workflow deploy FILE``); it is
stored with the SHA-256 of its text, by name and version, and never changed
afterwards.  This registry holds what the database holds and turns a stored
text into a checked :class:`Workflow` only when asked for it (through the
cache, :func:`.cache.load_stored`, so that commands need no YAML parser).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from regsam_flow.errors import InvalidWorkflowError, NotFoundError
from regsam_flow.i18n import _
from regsam_flow.model import StoredWorkflow

from .cache import load_stored
from .spec import Workflow

__all__ = ["DeployedWorkflows", "describe_keys", "text_hash"]


def text_hash(text: str) -> str:
    """The hash a definition is stored under: SHA-256 of its UTF-8 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def describe_keys(keys: Iterable[tuple[str, int]]) -> str:
    """``focus_area v1, v2; selection v1``: workflow names with their versions."""
    by_name: dict[str, list[int]] = {}
    for name, version in sorted(keys):
        by_name.setdefault(name, []).append(version)
    text = "; ".join(f"{n} " + ", ".join(f"v{v}" for v in vs) for n, vs in by_name.items())
    return text or "(none)"


class DeployedWorkflows:
    """Deployed definitions by (name, version), checked on first use."""

    def __init__(
        self, stored: Iterable[StoredWorkflow], known_guards: Iterable[str] | None = None
    ) -> None:
        self._stored = {(d.name, d.version): d for d in stored}
        self._guards = None if known_guards is None else frozenset(known_guards)
        self._loaded: dict[tuple[str, int], Workflow] = {}

    def __repr__(self) -> str:
        return f"<DeployedWorkflows {describe_keys(self._stored)}>"

    def stored(self, name: str, version: int) -> StoredWorkflow | None:
        return self._stored.get((name, version))

    def names(self) -> list[str]:
        return sorted({name for name, _v in self._stored})

    def versions(self, name: str) -> list[int]:
        return sorted(v for n, v in self._stored if n == name)

    def all(self) -> list[Workflow]:
        return [self.get(n, v) for n, v in sorted(self._stored)]

    def get(self, name: str, version: int | None = None) -> Workflow:
        """The deployed workflow of that name and version; the newest if None."""
        versions = self.versions(name)
        if not versions:
            known = ", ".join(self.names()) or _("none")
            raise NotFoundError(
                _(
                    "no workflow named '{name}' (not deployed; deployed: {known}): an admin "
                    "deploys a definition with `regsam-flow workflow deploy FILE`"
                ).format(name=name, known=known),
                kind="workflow",
                key=name,
            )
        key = (name, versions[-1] if version is None else version)
        wf = self._loaded.get(key)
        if wf is not None:
            return wf
        d = self._stored.get(key)
        if d is None:
            raise NotFoundError(
                _(
                    "workflow '{name}' version {version} is not deployed "
                    "(deployed versions: {versions}); an admin deploys "
                    "it with `regsam-flow workflow deploy FILE`"
                ).format(name=name, version=version, versions=", ".join(map(str, versions))),
                kind="workflow",
                key=name,
            )
        source = f"{d.name} v{d.version} as deployed (from {d.source})"
        if text_hash(d.text) != d.hash:
            raise InvalidWorkflowError(
                _(
                    "{source}: its text in the database does not match its hash {hash}: "
                    "it was changed after it was deployed"
                ).format(source=source, hash=d.hash[:12]),
                source=source,
                element="(text)",
            )
        wf = load_stored(d.text, d.hash, source, self._guards)
        if wf.key != key:
            raise InvalidWorkflowError(
                _("{source}: name/version: the text defines {name} version {version}").format(
                    source=source, name=wf.name, version=wf.version
                ),
                source=source,
                element="version",
            )
        self._loaded[key] = wf
        return wf
