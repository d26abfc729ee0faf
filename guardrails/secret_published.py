"""Values shaped like secrets that their own design makes public: kept by every detector.

Why a module of its own: the generic detectors take a long random value under a credential word, and
some formats are long random values *made to be published*. Redacting them blinds an investigation
(which SealedSecret, which DID, which key) and protects nothing:
- a Bitnami SealedSecret's `encryptedData` values: RSA-OAEP-wrapped session key plus AES-GCM ciphertext,
  decryptable only by the controller's private key in the cluster; the project's docs tell users to commit
  them to git. The format is checked, not assumed: the base64 decodes to a 2-byte length of the wrapped
  key (256 or 512 bytes for 2048/4096-bit RSA) and more bytes after it, so a plaintext password pasted
  under a SealedSecret's `encryptedData` is not taken for ciphertext;
- a decentralized identifier whose method encodes a public key or an address (`did:key:z6Mk...`,
  `did:jwk:`, `did:pkh:`): the identifier *is* the public key.
SOPS `ENC[...]` values, the other published ciphertext, are kept by redaction.py's `_CIPHERTEXT`.
"""

from __future__ import annotations

import base64
import binascii
import re

_SEALED_DOC = re.compile(r"""(?:kind["']?[ \t]*:[ \t]*["']?SealedSecret\b)""")
_SEALED_VALUE = re.compile(r"(?<![A-Za-z0-9+/=])(?:Ag|AQ|AY)[A-Za-z0-9+/]{62,16384}={0,2}(?![A-Za-z0-9+/=])")
_WRAPPED_KEY_SIZES = (256, 384, 512)


def _sealed_ciphertext(value: str) -> bool:
    """The sealed-secrets wire format: big-endian uint16 length of the RSA-wrapped key, then more bytes."""
    body = value.rstrip("=")
    try:  # the header is all that is read: decode whole quanta (a copy cut in a log may lose its tail)
        raw = base64.b64decode(body[: len(body) - len(body) % 4], validate=True)
    except (binascii.Error, ValueError):
        return False
    return len(raw) >= 48 and int.from_bytes(raw[:2], "big") in _WRAPPED_KEY_SIZES


def published_spans(text: str) -> list[tuple[int, int]]:
    """Spans of `text` that hold ciphertext made to be published (SealedSecret `encryptedData` values)."""
    if "SealedSecret" not in text or "encryptedData" not in text or _SEALED_DOC.search(text) is None:
        return []
    return [m.span() for m in _SEALED_VALUE.finditer(text) if _sealed_ciphertext(m.group())]


_PUBLIC_DID = re.compile(r"did:(?:key|jwk|pkh|peer|ethr|web|plc):(?:[\w.%\-]{1,64}:){0,3}$")
"""DID methods whose identifier is a public key, an address or a host name."""


def public_did_before(text: str, start: int) -> bool:
    """Whether the token at `start` is the method-specific part of a public-key DID (`did:key:<here>`)."""
    return _PUBLIC_DID.search(text, max(0, start - 80), start) is not None


__all__ = ["public_did_before", "published_spans"]
