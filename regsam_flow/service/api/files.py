"""Files in and out of the API: a request body read up to a limit, and
the headers of a download (its media type, ``attachment`` with a clean
file name)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from fastapi import Request

from ...i18n import _, use_language
from ..deps import language
from ..errors import ServiceError

__all__ = ["download_headers", "read_body", "safe_filename"]

_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/;:*?<>|]+')


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body; 413 ``too_large`` (nothing read beyond the limit)
    when it is larger than ``limit`` bytes."""

    def too_large() -> ServiceError:
        with use_language(language(request)):
            message = _("The file is larger than {mb} MB; nothing was written.").format(
                mb=limit // (1024 * 1024)
            )
        return ServiceError(413, "too_large", message)

    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def safe_filename(name: str, fallback: str = "download") -> str:
    """``name`` without path, control characters or characters that break
    a header or a file system; ``fallback`` when nothing is left."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")
    return name[:200] or fallback


def download_headers(filename: str) -> dict[str, str]:
    """Headers that make a browser save the answer as ``filename`` (RFC 6266:
    an ASCII fallback and the UTF-8 name) and never guess another type."""
    clean = safe_filename(filename)
    ascii_name = (
        unicodedata.normalize("NFKD", clean).encode("ascii", "ignore").decode("ascii") or "download"
    )
    ascii_name = _UNSAFE.sub("_", ascii_name)
    return {
        "Content-Disposition": (
            f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(clean, safe='')}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox",
    }
