"""Encrypted-at-rest envelopes: ciphertext a tool writes where the secret would be, kept by every detector.

Why a module of its own: a credential key (`db_password: !vault |`, `<password>{...}</password>`,
`password: |` then an armored message) vouches for its value, and its value here is ciphertext that only
the holder of a separate key can open. Redacting it protects nothing and hides which vault, which
encrypted file an investigation is looking at. Each envelope is recognised by the header or the wrapper
its tool documents, never by entropy alone (a plain password under such a key stays a password):

- Ansible Vault: `$ANSIBLE_VAULT;1.1;AES256` (or `1.2;AES256;<vault-id>`) and the hex lines under it;
- OpenPGP and age ASCII armor of an encrypted *message* (`-----BEGIN PGP MESSAGE-----`,
  `-----BEGIN AGE ENCRYPTED FILE-----`) up to its END line; private key blocks are other formats' business;

Not envelopes, on purpose: Maven's `{base64}` (plexus-cipher), Jenkins' `{...}` secrets, Jasypt `ENC(...)`
and Spring Cloud Config `{cipher}...`. Their key sits beside them (`settings-security.xml`, the Jenkins
home's master key, the application's config), so whoever reads the one can read the other: they are
redacted as the passwords they stand for (blind round 12 holds them as secrets).

SOPS `ENC[AES256_GCM,data:...]` values are kept by redaction.py's `_CIPHERTEXT`.
"""

from __future__ import annotations

import re

_ENVELOPE = re.compile(
    r"\$ANSIBLE_VAULT;\d\.\d;[A-Z0-9_]{3,16}(?:;[\w.\-]{1,64})?(?:\r?\n[ \t]*[0-9a-f]{2,160}){1,4096}"
    r"|-----BEGIN (?P<armor>PGP MESSAGE|AGE ENCRYPTED FILE)-----[\s\S]{1,65536}?-----END (?P=armor)-----"
)
_GATE = ("$ANSIBLE_VAULT;", "-----BEGIN PGP MESSAGE", "-----BEGIN AGE ENCRYPTED")


def envelope_spans(text: str) -> list[tuple[int, int]]:
    """Spans of `text` that hold an encrypted envelope (see the module docstring)."""
    if not any(g in text for g in _GATE):
        return []
    return [m.span() for m in _ENVELOPE.finditer(text)]


__all__ = ["envelope_spans"]
