"""The hash chain of the audit log: canonical encoding, hashing, verification.

Every entry's hash is SHA-256 over the previous entry's hash and a canonical
encoding of the entry's own fields, so editing, deleting, inserting or
reordering any entry breaks the chain from there on.  The encoding writes each
field as ``<length>:<text>`` (``~`` for none) in a fixed order: unambiguous,
and fast enough to verify hundreds of thousands of entries a second.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, TypeAlias

from .i18n import _
from .model import AUDIT_FIELDS, AuditEntry, VerifyResult

__all__ = [
    "GENESIS",
    "AuditRow",
    "add_findings",
    "canonical_details",
    "check_chain",
    "entry_hash",
    "format_ts",
    "later_ts",
    "make_entry",
    "parse_head",
    "parse_ts",
    "verify_chain",
]

#: An entry as a plain row, in AuditEntry field order.
AuditRow: TypeAlias = AuditEntry | Sequence[Any]  # AuditEntry unpacks like a tuple
#: The "previous hash" of the first entry.
GENESIS = "0" * 64
_TS = "%Y-%m-%dT%H:%M:%S.%fZ"


def format_ts(at: datetime) -> str:
    """A UTC timestamp as the log writes it: sortable, microseconds, ``Z``."""
    return at.astimezone(timezone.utc).strftime(_TS)


def parse_ts(text: str) -> datetime:
    """Read a timestamp :func:`format_ts` wrote."""
    return datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=timezone.utc)


def canonical_details(details: Mapping[str, Any] | None) -> str:
    """Details as canonical JSON: sorted keys, no spaces, UTF-8 kept."""
    if not details:
        return ""
    return json.dumps(details, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(
    prev: str,
    seq: int,
    at: str,
    actor: str,
    role: str,
    area: str,
    action: str,
    trigger: str,
    from_state: str,
    to_state: str,
    reason: str,
    details: str,
) -> str:
    """SHA-256 over the previous hash and the entry's canonical encoding."""
    text = (
        f"{prev}|{seq}|{len(at)}:{at}|{len(actor)}:{actor}|{len(role)}:{role}"
        f"|{len(area)}:{area}|{len(action)}:{action}|{len(trigger)}:{trigger}"
        f"|{len(from_state)}:{from_state}|{len(to_state)}:{to_state}"
        f"|{len(reason)}:{reason}|{len(details)}:{details}"
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_entry(
    prev_seq: int,
    prev_hash: str,
    *,
    at: datetime,
    actor: str,
    action: str,
    area: str = "",
    role: str = "",
    trigger: str = "",
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """The next entry of the chain after (prev_seq, prev_hash)."""
    seq = prev_seq + 1
    ts = format_ts(at)
    det = canonical_details(details)
    h = entry_hash(
        prev_hash, seq, ts, actor, role, area, action, trigger, from_state, to_state, reason, det
    )
    return AuditEntry(
        seq, ts, actor, role, area, action, trigger, from_state, to_state, reason, det, h
    )


def verify_chain(
    rows: Iterable[AuditRow], expect_head: tuple[int | None, str] | None = None
) -> VerifyResult:
    """Recompute the chain; name the first entry that does not fit.

    ``rows`` are entries as tuples in :class:`AuditEntry` field order (or
    AuditEntry objects themselves).  A missing sequence number means an
    entry was deleted (or entries were renumbered); a hash that does not
    match means the entry was edited, inserted or moved, or its predecessor
    was.  A value that is no text (empty, a number, invalid UTF-8) names its
    entry and column.  ``expect_head`` is a head kept from earlier,
    ``(count, hash)`` or ``(None, hash)``: that entry must still be in the
    chain, so nothing was cut from the end or rewritten.  Times must never go
    back from one entry to the next: each one that does is a problem too
    (see ``problems``), as is a time not in the log's format.
    """
    return add_findings(*check_chain(rows, expect_head))


def check_chain(
    rows: Iterable[AuditRow], expect_head: tuple[int | None, str] | None = None
) -> tuple[VerifyResult, list[tuple[int | None, str]]]:
    """:func:`verify_chain` in two parts: the chain's result alone, and the
    problems with the entries' times (``(seq, sentence)``)."""
    times: list[tuple[int | None, str]] = []
    return _walk(rows, expect_head, times), times


def add_findings(result: VerifyResult, findings: Sequence[tuple[int | None, str]]) -> VerifyResult:
    """``result`` with more problems, each ``(entry seq or None, sentence)``;
    the first problem (lowest entry) leads."""
    if not findings:
        return result
    found = list(findings)
    if result.problem is not None:
        found.append((result.first_bad_seq, result.problem))
    for p in result.problems:
        if p != result.problem:
            found.append((None, p))
    found.sort(key=lambda f: (f[0] is None, f[0] or 0))
    first_seq, first = found[0]
    return replace(
        result,
        ok=False,
        first_bad_seq=first_seq,
        problem=first,
        problems=tuple(text for _seq, text in found),
    )


_TS_FORMAT = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z")


def later_ts(mine: str, previous: str | None) -> str:
    """The time to give a new entry: the writer's own, or its predecessor's
    when that is later (a writer whose clock is behind)."""
    if previous is not None and _TS_FORMAT.fullmatch(previous) and previous > mine:
        return previous
    return mine


def _walk(
    rows: Iterable[AuditRow],
    expect_head: tuple[int | None, str] | None,
    times: list[tuple[int | None, str]],
) -> VerifyResult:
    prev = GENESIS
    prev_at = ""
    expected = 1
    count = 0
    sha = hashlib.sha256
    ts_ok = _TS_FORMAT.fullmatch
    want_seq, want_hash = expect_head if expect_head else (None, "")
    seen_hash = not expect_head
    if want_seq == 0 or (want_seq is None and want_hash == GENESIS):
        # the head of an empty log: any log starts from it
        if want_hash != GENESIS:
            return VerifyResult(False, 0, GENESIS, None, _("an empty log's head hash is all zeros"))
        seen_hash = True
    for row in rows:
        try:
            seq, at, actor, role, area, action, trigger, from_state, to_state, reason, *rest = row
            details, h = rest
            if seq != expected:
                if seq > expected:
                    problem = (
                        _("entry {seq} is missing (deleted?): the log goes on at {next}").format(
                            seq=expected, next=seq
                        )
                        if seq == expected + 1
                        else _("entries {first} to {last} are missing (deleted?)").format(
                            first=expected, last=seq - 1
                        )
                    )
                    return VerifyResult(False, count, prev, expected, problem)
                return VerifyResult(
                    False, count, prev, seq, _("entry {seq} out of order").format(seq=seq)
                )
            text = (
                f"{prev}|{seq}|{len(at)}:{at}|{len(actor)}:{actor}|{len(role)}:{role}"
                f"|{len(area)}:{area}|{len(action)}:{action}|{len(trigger)}:{trigger}"
                f"|{len(from_state)}:{from_state}|{len(to_state)}:{to_state}"
                f"|{len(reason)}:{reason}|{len(details)}:{details}"
            )
            computed = sha(text.encode("utf-8")).hexdigest()
        except (TypeError, ValueError):  # not text, invalid UTF-8, too few fields
            return VerifyResult(False, count, prev, expected, _damage(row, expected))
        if computed != h:
            problem = _(
                "entry {seq} does not match its hash: it was edited, inserted or moved"
                " (or the entry before it was)"
            ).format(seq=seq)
            return VerifyResult(False, count, prev, seq, problem)
        if not ts_ok(at):
            times.append(
                (
                    seq,
                    _("entry {seq}: its time {at!r} is not a time the log writes").format(
                        seq=seq, at=at
                    ),
                )
            )
        elif at < prev_at:
            times.append(
                (
                    seq,
                    _(
                        "entry {seq} is dated {at}, before entry {before} ({before_at}): "
                        "the log's time goes back"
                    ).format(seq=seq, at=at, before=seq - 1, before_at=prev_at),
                )
            )
        else:
            prev_at = at
        if not seen_hash and (want_seq is None or want_seq == seq):
            if computed == want_hash:
                seen_hash = True
            elif want_seq is not None:
                problem = _("entry {seq} is not the expected head: the log was rewritten").format(
                    seq=seq
                )
                return VerifyResult(False, count, prev, seq, problem)
        prev = computed
        expected += 1
        count += 1
    if not seen_hash:
        if want_seq is not None:
            problem = _(
                "the log has {count} entries, the expected head has {expected}:"
                " entries were cut from the end"
            ).format(count=count, expected=want_seq)
            return VerifyResult(False, count, prev, count + 1, problem)
        return VerifyResult(False, count, prev, None, _("the expected head hash is not in the log"))
    return VerifyResult(True, count, prev)


def _damage(row: AuditRow, expected: int) -> str:
    """Why an entry could not even be hashed: name the entry and the column."""
    values = list(row)
    if len(values) != len(AUDIT_FIELDS):
        return _("entry {seq} has {found} fields, not {wanted}").format(
            seq=expected, found=len(values), wanted=len(AUDIT_FIELDS)
        )
    seq = values[0]
    if not isinstance(seq, int) or isinstance(seq, bool):
        return _("the entry after {before} has the sequence number {seq!r}, not a number").format(
            before=expected - 1, seq=seq
        )
    for name, value in zip(AUDIT_FIELDS[1:], values[1:], strict=True):
        if value is None:
            return _(
                "entry {seq}: its {name} is empty (NULL): edited behind the engine's back"
            ).format(seq=seq, name=name)
        if not isinstance(value, str):
            return _(
                "entry {seq}: its {name} is {type} {value!r}, not text: "
                "edited behind the engine's back"
            ).format(seq=seq, name=name, type=type(value).__name__, value=value)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return _(
                "entry {seq}: its {name} is not valid UTF-8 text: edited behind the engine's back"
            ).format(seq=seq, name=name)
    return _("entry {seq} cannot be read").format(seq=seq)


def parse_head(text: str) -> tuple[int | None, str]:
    """``N:HASH`` (as :class:`~regsam_flow.model.AuditHead` prints) or a bare hash."""
    m = re.fullmatch(r"(?:(\d+):)?([0-9a-fA-F]{64})", text.strip())
    if not m:
        from .errors import InvalidInputError

        raise InvalidInputError(
            _("expected head {text!r} is not N:HASH (as `regsam-flow audit head` prints)").format(
                text=text
            ),
            field="expect_head",
        )
    return (int(m.group(1)) if m.group(1) else None), m.group(2).lower()
