"""Multibase base58btc ('z' + the Bitcoin alphabet) and Multikey Ed25519 public keys (the
multicodec prefix 0xed 0x01 and the 32-byte key)."""

from __future__ import annotations

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
ED25519_PUB_PREFIX = b"\xed\x01"


def b58encode(data: bytes) -> str:
    zeros = len(data) - len(data.lstrip(b"\0"))
    number = int.from_bytes(data, "big")
    digits = []
    while number:
        number, rest = divmod(number, 58)
        digits.append(ALPHABET[rest])
    return "1" * zeros + "".join(reversed(digits))


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        if char not in _INDEX:
            raise ValueError(f"not base58btc: {char!r}")
        number = number * 58 + _INDEX[char]
    zeros = len(text) - len(text.lstrip("1"))
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\0" * zeros + body


def encode(data: bytes) -> str:
    """Multibase base58btc."""
    return "z" + b58encode(data)


def decode(text: str) -> bytes:
    if not text.startswith("z"):
        raise ValueError("only multibase base58btc ('z') is accepted")
    return b58decode(text[1:])


def ed25519_multikey(raw_public_key: bytes) -> str:
    """publicKeyMultibase of an Ed25519 key (a Multikey): 'z6Mk…'."""
    if len(raw_public_key) != 32:
        raise ValueError("an Ed25519 public key is 32 bytes")
    return encode(ED25519_PUB_PREFIX + raw_public_key)


def ed25519_from_multikey(text: str) -> bytes:
    data = decode(text)
    if not data.startswith(ED25519_PUB_PREFIX) or len(data) != 34:
        raise ValueError("not an Ed25519 Multikey")
    return data[2:]
