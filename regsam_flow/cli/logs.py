"""The long-running commands' logs (``scheduler run``, ``serve``) on
stderr: lines for people (``--log-format text``) or one JSON object per
line for machines (``--log-format json``).

A JSON line has ``time`` (UTC, ISO 8601 with milliseconds and ``Z``),
``level`` (``debug``, ``info``, ``warning``, ``error``, ``critical``),
``logger`` and ``message``, plus the record's extra fields (those a caller
passed with ``extra=``) and ``exception`` (the traceback) where there is
one.  Everything outside ASCII is escaped, control characters included,
so a line never carries raw terminal controls.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

import click

__all__ = ["FORMATS", "LEVELS", "JsonFormatter", "configure", "log_format_option"]

FORMATS = ("text", "json")
LEVELS = ("debug", "info", "warning", "error")
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: A LogRecord's own attributes: not extra fields.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's message with terminal colours: the plain one suffices
}


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module's text)."""

    def format(self, record: logging.LogRecord) -> str:
        at = datetime.fromtimestamp(record.created, timezone.utc)
        out: dict[str, Any] = {
            "time": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            out["exception"] = record.exc_text
        return json.dumps(out, ensure_ascii=True, default=str)


def configure(level: int, log_format: str) -> None:
    """Log records of ``level`` and above to stderr in ``log_format``."""
    from .output import SafeFormatter

    handler = logging.StreamHandler()  # stderr
    formatter: logging.Formatter = (
        JsonFormatter() if log_format == "json" else SafeFormatter(TEXT_FORMAT)
    )  # text lines escape control characters
    handler.setFormatter(formatter)
    logging.basicConfig(level=level, handlers=[handler])


def log_format_option(f: Any) -> Any:
    """``--log-format text|json`` [env REGSAM_FLOW_LOG_FORMAT]."""
    return click.option(
        "--log-format",
        type=click.Choice(FORMATS, case_sensitive=False),
        default="text",
        show_default=True,
        envvar="REGSAM_FLOW_LOG_FORMAT",
        help="Log lines on stderr for people (text) or one JSON object per line "
        "(json: time, level, logger, message) [env REGSAM_FLOW_LOG_FORMAT].",
    )(f)
