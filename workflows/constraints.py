"""What a workflow file's values must satisfy, written on the records of :mod:`.spec`.

The records carry their constraints as ``Annotated`` markers: plain objects
that cost nothing to import and that only pydantic reads (through
``__get_pydantic_core_schema__``, when :mod:`.schema` checks a file).  The
engine, the cache and ``typing.get_type_hints`` see the bare types.
"""

from __future__ import annotations

import typing
from typing import Annotated, Any

__all__ = ["AsMapping", "Ident", "Is", "OneOf", "OneOrMany", "Scalar"]


class Is:
    """Limits merged into the checked type's schema: ``min_length``,
    ``max_length``, ``pattern``, ``ge``, ``le``, ``strict``.  Put it first
    among the markers of a type: it changes the type's own schema."""

    def __init__(self, **limits: Any) -> None:
        self.limits = limits

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        schema = handler(source)
        schema.update(self.limits)
        return schema


class OneOf:
    """One of the given words."""

    def __init__(self, *values: str) -> None:
        self.values = values

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.literal_schema(list(self.values))


class OneOrMany:
    """A tuple given as a list, or as one plain value."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        def one_or_many(value: object) -> object:
            return (value,) if isinstance(value, str) else value

        return core_schema.no_info_before_validator_function(one_or_many, handler(source))


class AsMapping:
    """A tuple of (key, value) pairs, written in the file as a mapping; the
    limits (``min_length``) apply to the mapping."""

    def __init__(self, **limits: Any) -> None:
        self.limits = limits

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        (pair,) = [a for a in typing.get_args(source) if a is not Ellipsis]
        key, value = typing.get_args(pair)
        mapping = core_schema.dict_schema(
            handler.generate_schema(key), handler.generate_schema(value), **self.limits
        )
        return core_schema.no_info_after_validator_function(lambda m: tuple(m.items()), mapping)


class Scalar:
    """A yes/no, a whole number or a word, taken as written (``1`` is no yes)."""

    def __get_pydantic_core_schema__(self, source: Any, handler: Any) -> Any:
        from pydantic_core import core_schema

        return core_schema.union_schema(
            [
                core_schema.bool_schema(strict=True),
                core_schema.int_schema(strict=True),
                core_schema.str_schema(),
            ]
        )


#: A name: lower-case letters, digits and ``_``, starting with a letter.
Ident = Annotated[str, Is(pattern=r"^[a-z][a-z0-9_]*$", max_length=64)]
