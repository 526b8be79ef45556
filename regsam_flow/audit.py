"""The hash chain of the audit log: canonical encoding, hashing, verification.

Every entry's hash is SHA-256 over the previous entry's hash and a canonical
encoding of the entry's own fields, so editing, deleting, inserting or
reordering any entry breaks the chain from there on.  The encoding writes each
field as ``<length>:<text>`` in a fixed order (see :func:`canonical_tail`;
the README's "The audit log's encoding" spells it out for other languages).

Verification has two paths: :func:`check_batches` checks entries a store
joined for it (the SQL store builds the canonical texts in the database) and
only says whether everything is in order; on anything else
:func:`check_chain` walks the rows one by one and names each problem.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, TypeAlias

from .i18n import _
from .model import AUDIT_FIELDS, AuditBatch, AuditEntry, VerifyResult

__all__ = [
    "BATCH_SEP",
    "GENESIS",
    "AuditRow",
    "ChainStart",
    "add_findings",
    "batch_of",
    "canonical_details",
    "canonical_tail",
    "check_batches",
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
#: Separates an entry's canonical text and its hash in an :class:`AuditBatch`.
BATCH_SEP = "\x1e"
_TS = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class ChainStart:
    """Where a verification starts: after entry ``seq`` whose hash is
    ``hash`` and time ``at`` (the start of the log: 0, :data:`GENESIS`, "")."""

    seq: int = 0
    hash: str = GENESIS
    at: str = ""


def format_ts(at: datetime) -> str:
    """A UTC timestamp as the log writes it: sortable, microseconds, ``Z``."""
    u = at.astimezone(timezone.utc)
    if u.year < 1000:  # how strftime writes such a year depends on the C library
        return u.strftime(_TS)
    # what strftime(_TS) writes, in a third of its time (three per transition)
    return (
        f"{u.year}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}"
        f".{u.microsecond:06d}Z"
    )


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
    tail = canonical_tail(
        seq, at, actor, role, area, action, trigger, from_state, to_state, reason, details
    )
    return hashlib.sha256((prev + tail).encode("utf-8")).hexdigest()


def canonical_tail(
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
    """An entry's canonical encoding, which follows the previous hash in
    the hashed text: ``|seq`` and then ``|<length>:<text>`` for each field
    (length in characters, i.e. Unicode code points)."""
    return (
        f"|{seq}|{len(at)}:{at}|{len(actor)}:{actor}|{len(role)}:{role}"
        f"|{len(area)}:{area}|{len(action)}:{action}|{len(trigger)}:{trigger}"
        f"|{len(from_state)}:{from_state}|{len(to_state)}:{to_state}"
        f"|{len(reason)}:{reason}|{len(details)}:{details}"
    )


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
    rows: Iterable[AuditRow],
    expect_head: tuple[int | None, str] | None = None,
    start: ChainStart | None = None,
) -> tuple[VerifyResult, list[tuple[int | None, str]]]:
    """:func:`verify_chain` in two parts: the chain's result alone, and the
    problems with the entries' times (``(seq, sentence)``).  With ``start``
    the rows are the entries after ``start.seq`` and the chain goes on from
    its hash (incremental verification from a trusted head)."""
    times: list[tuple[int | None, str]] = []
    return _walk(rows, expect_head, times, start or ChainStart()), times


def batch_of(rows: Sequence[Sequence[Any]]) -> AuditBatch:
    """Consecutive rows joined as :class:`AuditBatch` (what a store without
    its own way of joining them hands the fast verifier)."""
    try:
        chained = "".join([canonical_tail(*row[:11]) + BATCH_SEP + row[11] for row in rows])
        chained_b = chained.encode("utf-8")
        hashes = "".join([row[11] for row in rows])
        times = " ".join([row[1] for row in rows])
        first, last = int(rows[0][0]), int(rows[-1][0])
    except (TypeError, ValueError, IndexError):  # damage: the slow path names it
        return AuditBatch(len(rows), 0, 0, b"", "", "", readable=False)
    return AuditBatch(len(rows), first, last, chained_b, hashes, times)


_NINES = str.maketrans("0123456789", "9999999999")
_TS_SHAPE = "9999-99-99T99:99:99.999999Z"


def check_batches(
    batches: Iterable[AuditBatch],
    start: ChainStart | None = None,
    expect_head: tuple[int | None, str] | None = None,
) -> tuple[int, str] | None:
    """The fast path of verification: ``(last seq, head hash)`` when every
    entry after ``start`` chains to its stored hash, the sequence numbers run
    on without a gap, every time is in the log's format and none goes back,
    and ``expect_head`` (if given) is in the chain; None as soon as anything
    is otherwise, for :func:`check_chain` to name it.

    Each batch's ``chained`` text, put after the previous hash and split at
    :data:`BATCH_SEP`, falls into exactly the texts the entries' hashes are
    taken of (previous hash and canonical text), and the last hash."""
    start = start or ChainStart()
    after, prev, prev_at = start.seq, start.hash.encode("ascii"), start.at
    want_seq, want_hash = expect_head if expect_head else (None, "")
    seen = expect_head is None
    if not seen and (want_seq == start.seq or (want_seq is None and want_hash == start.hash)):
        if want_hash != start.hash:
            return None
        seen = True
    if want_seq is not None and want_seq < start.seq:
        return None
    sha = hashlib.sha256
    sep = BATCH_SEP.encode("ascii")
    shapes: dict[int, str] = {}
    try:
        for b in batches:
            n = b.count
            if not b.readable or n < 1 or b.first_seq != after + 1 or b.last_seq != after + n:
                return None
            if not b.chained.isascii():
                b.chained.decode("utf-8")  # the engine writes UTF-8; the slow path names the rest
            texts = (prev + b.chained).split(sep)
            if len(texts) != n + 1 or len(b.hashes) != 64 * n:
                return None
            last = texts.pop()
            stored = bytes.fromhex(b.hashes)
            if b"".join([sha(t).digest() for t in texts]) != stored:
                return None
            if last.decode("ascii") != b.hashes[-64:]:
                return None
            if stored.hex() != b.hashes:  # hashes in the form the engine writes them
                return None
            shape = shapes.get(n)
            if shape is None:
                shape = shapes[n] = " ".join([_TS_SHAPE] * n)
            if b.times.translate(_NINES) != shape:
                return None
            times = b.times.split(" ")
            if times[0] < prev_at or times != sorted(times):
                return None
            if not seen:
                if want_seq is None:
                    at = b.hashes.find(want_hash)
                    while at % 64 and at != -1:
                        at = b.hashes.find(want_hash, at + 1)
                    seen = at != -1
                elif want_seq <= b.last_seq:
                    i = 64 * (want_seq - b.first_seq)
                    if b.hashes[i : i + 64] != want_hash:
                        return None
                    seen = True
            after, prev, prev_at = b.last_seq, last, times[-1]
    except (UnicodeError, TypeError, ValueError):
        return None
    return (after, prev.decode("ascii")) if seen else None


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
    start: ChainStart,
) -> VerifyResult:
    prev = start.hash
    prev_at = start.at
    expected = start.seq + 1
    count = start.seq
    sha = hashlib.sha256
    ts_ok = _TS_FORMAT.fullmatch
    want_seq, want_hash = expect_head if expect_head else (None, "")
    seen_hash = not expect_head
    if want_seq == 0 or (want_seq is None and want_hash == GENESIS):
        # the head of an empty log: any log starts from it
        if want_hash != GENESIS:
            return VerifyResult(False, 0, GENESIS, None, _("an empty log's head hash is all zeros"))
        seen_hash = True
    elif want_seq == start.seq or (want_seq is None and want_hash == start.hash):
        # the expected head is the trusted one verification starts from
        if want_hash != start.hash:
            problem = _("entry {seq} is not the expected head: the log was rewritten").format(
                seq=start.seq
            )
            return VerifyResult(False, count, prev, start.seq, problem)
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
