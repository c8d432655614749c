"""Client addresses: which client an address stands for (IPv6 by its /64), and whether it lies in a
list of networks (the hall networks of the sign-in throttle, an exam's allowed networks)."""

from __future__ import annotations

import ipaddress


def valid_network(text: str) -> bool:
    """Whether `text` is a network in CIDR notation (or a single address)."""
    try:
        ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return False
    return True


def client_key(address: str) -> str:
    """The part of a client address that identifies one client: IPv4 as is, IPv6 by its /64 (one
    subscriber's whole network), anything unparsable as given."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return (address or "")[:64]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def in_networks(address: str, networks) -> bool:
    """Whether `address` lies in one of `networks` (CIDR strings; malformed entries are ignored)."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return False
    ip = getattr(ip, "ipv4_mapped", None) or ip
    for net in networks or ():
        try:
            if ip in ipaddress.ip_network(net, strict=False):
                return True
        except ValueError:
            continue
    return False
