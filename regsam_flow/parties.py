"""The two parties of a focus area: REGSAM (``moderation``) and the social
department (``social_planning``).

The cooperation agreement is between the two, so one person may not stand
for both: hold both roles in one area, sign the agreement for both, or give
both approvals of a transition.  Each check returns the blockers it finds
(code ``one_person_both_parties``); none means the rule holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from .errors import Blocker
from .i18n import _
from .model import AGREEMENT_SIGNERS

__all__ = ["CODE", "PARTIES", "both_roles", "new_role", "same_signer", "second_approval"]

#: The two parties, as roles.
PARTIES = AGREEMENT_SIGNERS
#: The blocker code of every breach of the rule.
CODE = "one_person_both_parties"


def both_roles(assignments: Iterable[tuple[str, str]]) -> list[Blocker]:
    """People who hold both parties' roles in the area ((role, person) pairs)."""
    held: dict[str, set[str]] = {}
    for role, person in assignments:
        if role in PARTIES:
            held.setdefault(person, set()).add(role)
    return [
        Blocker(
            CODE,
            _(
                "{person} holds both {first} and {second} in this area: an admin must "
                "give one of the two roles to someone else"
            ).format(person=person, first=PARTIES[0], second=PARTIES[1]),
        )
        for person, roles in sorted(held.items())
        if len(roles) == len(PARTIES)
    ]


def new_role(assignments: Iterable[tuple[str, str]], role: str, person: str) -> list[Blocker]:
    """Giving ``person`` ``role`` would make them both parties."""
    if role not in PARTIES:
        return []
    other = [r for r in PARTIES if r != role]
    if not any((r, person) in set(assignments) for r in other):
        return []
    return [
        Blocker(
            CODE,
            _(
                "{person} is {other} in this area and cannot be {role} too: "
                "REGSAM and the social department must be two different people"
            ).format(person=person, other=other[0], role=role),
        )
    ]


def same_signer(signatures: Mapping[str, str], person: str | None = None) -> list[Blocker]:
    """Signatures (role -> person) of both parties by one person; with
    ``person``: that person has signed for a party already."""
    if person is not None:
        signed = [r for r, p in signatures.items() if p == person and r in PARTIES]
        if signed:
            return [
                Blocker(
                    CODE,
                    _(
                        "{person} signed this version as {role} already: the other "
                        "party's signature must come from someone else"
                    ).format(person=person, role=signed[0]),
                )
            ]
        return []
    people = {signatures.get(r) for r in PARTIES}
    if len(people) == 1 and None not in people:
        return [
            Blocker(
                CODE,
                _(
                    "both signatures are by {person}: the two parties must sign as "
                    "two different people"
                ).format(person=people.pop()),
            )
        ]
    return []


def second_approval(given: Mapping[str, str], person: str, trigger: str) -> list[Blocker]:
    """``person`` has approved ``trigger`` for a party already (given: role -> person)."""
    done = [r for r, p in given.items() if p == person and r in PARTIES]
    if not done:
        return []
    return [
        Blocker(
            CODE,
            _(
                "{person} approved '{trigger}' as {role} already: the other party's "
                "approval must come from someone else"
            ).format(person=person, trigger=trigger, role=done[0]),
        )
    ]
