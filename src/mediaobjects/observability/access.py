"""Who may read the metrics: ``MEDIAOBJECTS_METRICS_TOKEN`` (a bearer token) and
``MEDIAOBJECTS_METRICS_ALLOWED_ADDRESSES`` (client networks); each one that is set must be
satisfied, and with neither set the metrics are off. Shared by ``/metrics`` and the metrics
server of ``mediaobjects worker``."""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from ipaddress import IPv4Network, IPv6Network, ip_address


class Verdict(Enum):
    ALLOWED = "allowed"
    # Neither a token nor addresses are configured: answer as if there were no such page.
    DISABLED = "disabled"
    NO_TOKEN = "no_token"  # noqa: S105 (a verdict, not a password)
    WRONG_ADDRESS = "wrong_address"


@dataclass(frozen=True)
class MetricsAccess:
    token: str | None
    networks: Sequence[IPv4Network | IPv6Network]

    def judge(self, client_host: str | None, authorization: str | None) -> Verdict:
        if not self.token and not self.networks:
            return Verdict.DISABLED
        if self.networks and not _in_networks(client_host, self.networks):
            return Verdict.WRONG_ADDRESS
        if self.token:
            scheme, _, given = (authorization or "").partition(" ")
            # Compared in constant time: the token must not be guessable a byte at a time.
            if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.strip().encode(), self.token.encode()
            ):
                return Verdict.NO_TOKEN
        return Verdict.ALLOWED


def _in_networks(host: str | None, networks: Sequence[IPv4Network | IPv6Network]) -> bool:
    if host is None:
        return False
    try:
        address = ip_address(host)
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in networks)
