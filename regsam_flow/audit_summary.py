"""One line saying what an audit entry did, for people (the CLI's `log`
and the web's Prüfung page); free of click and of the web stack."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .i18n import _

__all__ = ["entry_summary"]


def entry_summary(r: Mapping[str, Any]) -> str:
    """One line saying what an entry did (``r``: an entry's ``to_dict()``)."""
    d = r["details"] if isinstance(r["details"], dict) else {}
    action = r["action"]
    if action == "transition":
        text = f"{r['from_state']} -> {r['to_state']} ({r['trigger']})"
    elif action in ("assigned", "unassigned"):
        text = f"{d.get('role')}: {d.get('person')}"
    elif action == "agreement_changed":
        text = _("version {version}: {fields}").format(
            version=d.get("version"), fields=", ".join(d.get("changed", []))
        )
    elif action == "agreement_signed":
        text = _("version {version} as {role}").format(version=d.get("version"), role=r["role"])
    elif action in ("task_reported", "task_reopened"):
        text = str(d.get("task", ""))
    elif action == "approval":
        text = _("{trigger} as {role}; missing {missing}").format(
            trigger=r["trigger"], role=r["role"], missing=", ".join(d.get("missing", []))
        )
    elif action == "area_created":
        text = f"{d.get('name')} ({d.get('workflow')} v{d.get('workflow_version')})"
    elif action == "person_added":
        text = f"{d.get('person')} ({d.get('name')})"
    elif action == "workflow_deployed":
        text = f"{d.get('workflow')} v{d.get('version')} ({str(d.get('hash', ''))[:12]})"
    elif action == "workflow_migrated":
        text = f"{d.get('workflow')} v{d.get('from_version')} -> v{d.get('to_version')}"
    elif action == "person_promoted":
        roles = [r for r in ("admin", "auditor") if d.get(r)]
        text = f"{d.get('person')}: {', '.join(roles)}"
    else:
        text = str(r["trigger"] or "")
    if r["reason"]:
        text += f" \u201e{r['reason']}\u201c"
    return text
