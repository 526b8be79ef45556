"""The service's settings: what ``regsam-flow serve`` (or an embedder) decides.

Nothing here is read from the environment: the command line (or whoever
calls :func:`~regsam_flow.service.app.create_app`) fills them in.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

__all__ = ["DEFAULT_MAX_BODY", "ServiceSettings"]

#: The largest request body the service reads: 1 MiB.
DEFAULT_MAX_BODY = 1024 * 1024


@dataclass(frozen=True)
class ServiceSettings:
    """How the service runs.

    ``secret_key`` signs the session cookies and derives the CSRF tokens
    (every process serving one database must share it); ``base_url`` is
    where people reach the service (the sign-in mail's links start with
    it; ``https://`` makes the cookies ``Secure`` and adds
    Strict-Transport-Security); ``trusted_proxies`` are the addresses
    (or networks, ``10.0.0.0/24``) whose ``proxy_header`` names the person
    (the city's single sign-on in front of the service); from any other
    address that header is ignored.  ``max_body`` bounds a request's body
    in bytes.
    """

    secret_key: str
    base_url: str = "http://127.0.0.1:8080"
    trusted_proxies: tuple[str, ...] = ()
    proxy_header: str = "X-Remote-User"
    secure_cookies: bool | None = None
    max_body: int = DEFAULT_MAX_BODY
    session_cookie: str = "rf_session"
    browser_cookie: str = "rf_browser"
    _networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = field(
        default=(), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if len(self.secret_key) < 16:
            raise ValueError("secret_key must be at least 16 characters")
        object.__setattr__(self, "base_url", self.base_url.rstrip("/"))
        if self.secure_cookies is None:
            object.__setattr__(self, "secure_cookies", self.https)
        nets = tuple(ipaddress.ip_network(p.strip(), strict=False) for p in self.trusted_proxies)
        object.__setattr__(self, "_networks", nets)

    @property
    def https(self) -> bool:
        """True when people reach the service by https."""
        return self.base_url.lower().startswith("https://")

    @property
    def secure(self) -> bool:
        """True when cookies are sent with ``Secure``."""
        return bool(self.secure_cookies)

    def trusts(self, address: str | None) -> bool:
        """True when ``address`` (the peer of a connection) is a trusted proxy."""
        if not address or not self._networks:
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in net for net in self._networks)
