"""Check an exported regsam-flow audit log on its own: the standard library only.

    python -m regsam_flow.verify FILE [--expect-head N:HASH] [--lang en]
    python verify.py FILE ...         (this file saved alone: regsam-flow audit export --verifier)

FILE is the exact export (``regsam-flow audit export``, or the web's Prüfung
page): one JSON object a line with every stored field of an entry, then
``{"head": {"count": N, "hash": H}}``.  Every entry's SHA-256 is recomputed
over the previous hash and the entry's canonical text; the numbers must run
1, 2, 3 ... without a gap, the times must be in the log's format and never
go back, and the chain must end at the head line.  ``--expect-head`` is a
head kept earlier (``regsam-flow audit head``): that entry must be in the file.

Exit code 0: intact.  1: damage found (the line and the entry are named).
2: the file cannot be read, or wrong arguments.  Messages are in German;
``--lang en`` gives them in English.

This module imports nothing from regsam-flow, so it can be copied alone.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["FIELDS", "GENESIS", "main", "verify_lines"]

#: The stored fields of an entry, in the order the hash covers them (then the hash).
FIELDS = (
    "seq",
    "at",
    "actor",
    "role",
    "area",
    "action",
    "trigger",
    "from_state",
    "to_state",
    "reason",
    "details",
    "hash",
)
#: The "previous hash" of the first entry.
GENESIS = "0" * 64
_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}Z")
_HEAD = re.compile(r"(?:([0-9]+):)?([0-9a-fA-F]{64})")

_TEXTS = {
    "ok": (
        "OK: {n} Einträge, Kette intakt; Kopf {n}:{head}",
        "OK: {n} entries, chain intact; head {n}:{head}",
    ),
    "failed": ("FEHLER in Zeile {line}: {problem}", "FAILED at line {line}: {problem}"),
    "unreadable": (
        "Die Datei {file} kann nicht gelesen werden: {error}",
        "The file {file} cannot be read: {error}",
    ),
    "bad_head_arg": (
        "--expect-head {text!r} ist nicht N:HASH (wie `regsam-flow audit head` ihn ausgibt)",
        "--expect-head {text!r} is not N:HASH (as `regsam-flow audit head` prints)",
    ),
    "utf8": ("die Zeile ist kein gültiges UTF-8", "the line is not valid UTF-8"),
    "json": ("die Zeile ist kein JSON-Objekt", "the line is not a JSON object"),
    "fields": (
        "Eintrag {seq}: die Felder sind nicht genau {fields}",
        "entry {seq}: the fields are not exactly {fields}",
    ),
    "seq_type": (
        "der Eintrag nach {before} hat die Nummer {seq!r}, keine Zahl",
        "the entry after {before} has the number {seq!r}, not a number",
    ),
    "not_text": (
        "Eintrag {seq}: das Feld {name} ist kein Text ({value!r})",
        "entry {seq}: its field {name} is not text ({value!r})",
    ),
    "gap": (
        "Eintrag {seq} folgt auf Eintrag {before}: dazwischen fehlt etwas (gelöscht?) "
        "oder die Reihenfolge ist vertauscht",
        "entry {seq} follows entry {before}: something is missing in between (deleted?) "
        "or the order is changed",
    ),
    "hash": (
        "Eintrag {seq} passt nicht zu seinem Hash: er wurde geändert, eingefügt oder "
        "verschoben (oder der Eintrag davor)",
        "entry {seq} does not match its hash: it was edited, inserted or moved "
        "(or the entry before it was)",
    ),
    "time_format": (
        "Eintrag {seq}: die Zeit {at!r} ist keine Zeit, die das Protokoll schreibt",
        "entry {seq}: its time {at!r} is not a time the log writes",
    ),
    "time_back": (
        "Eintrag {seq} ist auf {at} datiert, vor Eintrag {before} ({before_at}): "
        "die Zeit des Protokolls geht zurück",
        "entry {seq} is dated {at}, before entry {before} ({before_at}): the log's time goes back",
    ),
    "head_line": (
        'die Kopfzeile ist nicht {{"head": {{"count": N, "hash": H}}}}',
        'the head line is not {{"head": {{"count": N, "hash": H}}}}',
    ),
    "after_head": (
        "nach der Kopfzeile folgt noch etwas: die Datei wurde verändert",
        "something follows the head line: the file was changed",
    ),
    "no_head": (
        "die Kopfzeile fehlt: die Datei wurde abgeschnitten",
        "the head line is missing: the file was cut short",
    ),
    "head_mismatch": (
        "die Kette endet bei {n}:{head}, die Kopfzeile sagt {count}:{hash}: "
        "Einträge wurden entfernt, angefügt oder umgeschrieben",
        "the chain ends at {n}:{head}, the head line says {count}:{hash}: "
        "entries were removed, added or rewritten",
    ),
    "expected_missing": (
        "der erwartete Kopf {expected} ist nicht in der Datei: Einträge wurden "
        "abgeschnitten oder umgeschrieben",
        "the expected head {expected} is not in the file: entries were cut or rewritten",
    ),
    "expected_differs": (
        "Eintrag {seq} ist nicht der erwartete Kopf: das Protokoll wurde umgeschrieben",
        "entry {seq} is not the expected head: the log was rewritten",
    ),
}


class Damage(Exception):
    """A finding: ``line`` (1-based) and the sentence saying what is wrong."""

    def __init__(self, line: int, problem: str) -> None:
        super().__init__(problem)
        self.line = line
        self.problem = problem


def _say(lang: int, key: str, **values: Any) -> str:
    return _TEXTS[key][lang].format(**values)


def canonical_text(prev: str, entry: Sequence[Any]) -> str:
    """The text an entry's hash is taken of: the previous hash, ``|seq``,
    then ``|<length>:<text>`` for at .. details (length in code points)."""
    parts = [prev, "|", str(entry[0])]
    for value in entry[1:11]:
        parts += ["|", str(len(value)), ":", value]
    return "".join(parts)


def verify_lines(
    lines: Iterable[bytes], expect: tuple[int | None, str] | None = None, lang: int = 0
) -> tuple[int, str]:
    """Check the export's lines (an open file read line by line, so memory
    stays flat however long the log, or the file's text split at newlines);
    return the head ``(count, hash)`` or raise :class:`Damage` naming the
    first problem."""
    prev, prev_at, count = GENESIS, "", 0
    want_seq, want_hash = expect if expect else (None, "")
    seen = expect is None or want_seq == 0 or (want_seq is None and want_hash == GENESIS)
    if expect and want_seq == 0 and want_hash != GENESIS:
        raise Damage(0, _say(lang, "expected_differs", seq=0))
    head: tuple[int, str] | None = None
    number, ends_with_newline = 0, True
    for number, raw in enumerate(lines, 1):
        ends_with_newline = raw.endswith(b"\n")
        if not raw.strip():
            continue
        if head is not None:
            raise Damage(number, _say(lang, "after_head"))
        try:
            obj = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise Damage(number, _say(lang, "utf8")) from None
        except ValueError:
            raise Damage(number, _say(lang, "json")) from None
        if not isinstance(obj, dict):
            raise Damage(number, _say(lang, "json"))
        if "head" in obj and len(obj) == 1:
            h = obj["head"]
            if (
                not isinstance(h, dict)
                or set(h) != {"count", "hash"}
                or not isinstance(h["count"], int)
                or not isinstance(h["hash"], str)
            ):
                raise Damage(number, _say(lang, "head_line"))
            if (h["count"], h["hash"]) != (count, prev):
                raise Damage(
                    number,
                    _say(
                        lang, "head_mismatch", n=count, head=prev, count=h["count"], hash=h["hash"]
                    ),
                )
            head = (count, prev)
            continue
        seq = obj.get("seq")
        if list(obj) != list(FIELDS):
            raise Damage(number, _say(lang, "fields", seq=seq, fields=", ".join(FIELDS)))
        if not isinstance(seq, int) or isinstance(seq, bool):
            raise Damage(number, _say(lang, "seq_type", before=count, seq=seq))
        for name in FIELDS[1:]:
            if not isinstance(obj[name], str):
                raise Damage(number, _say(lang, "not_text", seq=seq, name=name, value=obj[name]))
        if seq != count + 1:
            raise Damage(number, _say(lang, "gap", seq=seq, before=count))
        entry = [obj[name] for name in FIELDS]
        try:
            computed = hashlib.sha256(canonical_text(prev, entry).encode("utf-8")).hexdigest()
        except UnicodeEncodeError:
            raise Damage(number, _say(lang, "utf8")) from None
        if computed != obj["hash"]:
            raise Damage(number, _say(lang, "hash", seq=seq))
        at = obj["at"]
        if not _TIME.fullmatch(at):
            raise Damage(number, _say(lang, "time_format", seq=seq, at=at))
        if at < prev_at:
            raise Damage(
                number, _say(lang, "time_back", seq=seq, at=at, before=count, before_at=prev_at)
            )
        if not seen and (want_seq is None or want_seq == seq):
            if computed == want_hash:
                seen = True
            elif want_seq is not None:
                raise Damage(number, _say(lang, "expected_differs", seq=seq))
        prev, prev_at, count = computed, at, seq
    # the last line's number as the file's text split at newlines counts it
    last = number + 1 if ends_with_newline else number
    if head is None:
        raise Damage(last + 1, _say(lang, "no_head"))
    if not seen:
        expected = f"{want_seq}:{want_hash}" if want_seq is not None else want_hash
        raise Damage(last, _say(lang, "expected_missing", expected=expected))
    return head


def main(argv: Sequence[str] | None = None) -> int:
    """The command line: exit 0 intact, 1 damage found, 2 unreadable or wrong arguments."""
    ap = argparse.ArgumentParser(
        prog="python -m regsam_flow.verify",
        description="Check an exported regsam-flow audit log (regsam-flow audit export).",
    )
    ap.add_argument("file", help="the export (JSON lines)")
    ap.add_argument("--expect-head", metavar="N:HASH", help="a head kept earlier")
    ap.add_argument("--lang", choices=["de", "en"], default="de", help="language of messages")
    args = ap.parse_args(argv)
    lang = 1 if args.lang == "en" else 0
    expect = None
    if args.expect_head:
        m = _HEAD.fullmatch(args.expect_head.strip())
        if not m:
            print(_say(lang, "bad_head_arg", text=args.expect_head), file=sys.stderr)
            return 2
        expect = (int(m.group(1)) if m.group(1) else None), m.group(2).lower()
    try:
        with open(args.file, "rb") as f:
            count, head = verify_lines(f, expect, lang)
    except OSError as exc:
        print(_say(lang, "unreadable", file=args.file, error=exc.strerror or exc), file=sys.stderr)
        return 2
    except Damage as damage:
        print(_say(lang, "failed", line=damage.line, problem=damage.problem), file=sys.stderr)
        return 1
    print(_say(lang, "ok", n=count, head=head))
    return 0


if __name__ == "__main__":
    sys.exit(main())
