"""The session cookie and the CSRF token derived from the session.

The cookie holds the session's secret (made by the engine, stored there
only as a hash) signed with the service's secret key (itsdangerous): a
forged or altered cookie is refused before the database is asked.  The
CSRF token is an HMAC of the session id with the secret key: the same for
the life of the session, in no cookie, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timezone

from itsdangerous import BadSignature, Signer
from starlette.responses import Response

from .settings import ServiceSettings

__all__ = ["Cookies"]


class Cookies:
    """Signing, reading and setting the service's cookies."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._signer = Signer(settings.secret_key, salt="regsam-flow.session")
        self._csrf_key = hashlib.sha256(
            b"regsam-flow.csrf\0" + settings.secret_key.encode()
        ).digest()

    # ------------------------------------------------------------- session
    def session_secret(self, value: str | None) -> str | None:
        """The session secret a cookie value holds; None when it is not signed by us."""
        if not value:
            return None
        try:
            return self._signer.unsign(value).decode()
        except (BadSignature, UnicodeDecodeError):
            return None

    def set_session(self, response: Response, secret: str, expires_at: datetime) -> None:
        """Give the browser the session cookie (until the session's absolute expiry)."""
        left = int((expires_at - datetime.now(timezone.utc)).total_seconds())
        response.set_cookie(
            self.settings.session_cookie,
            self._signer.sign(secret).decode(),
            max_age=max(left, 0),
            path="/",
            secure=self.settings.secure,
            httponly=True,
            samesite="lax",
        )

    def clear_session(self, response: Response) -> None:
        response.delete_cookie(
            self.settings.session_cookie,
            path="/",
            secure=self.settings.secure,
            httponly=True,
            samesite="lax",
        )

    def set_browser(self, response: Response, value: str) -> None:
        """The random value that binds a sign-in link to the browser that asked."""
        response.set_cookie(
            self.settings.browser_cookie,
            value,
            max_age=400 * 24 * 3600,
            path="/",
            secure=self.settings.secure,
            httponly=True,
            samesite="lax",
        )

    # ---------------------------------------------------------------- CSRF
    def csrf_token(self, subject: str) -> str:
        """The CSRF token of a session id (or of a proxy-signed-in person)."""
        return hmac.new(self._csrf_key, subject.encode(), hashlib.sha256).hexdigest()

    def csrf_ok(self, subject: str, given: str | None) -> bool:
        return bool(given) and hmac.compare_digest(
            self.csrf_token(subject).encode(), (given or "").encode()
        )
