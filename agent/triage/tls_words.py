"""What a TLS library says when certificate verification fails, declared once for every triage module.

Several mechanisms read the same refusals for different causes: a proxy's upstream CA bundle rewritten
(`upstream_trust`), a new image without a CA bundle (`image_contents`), a Certificate reissued by another CA
(`access_rule`), the trust store a process loads (`governing_settings`). The software's words are the same in all
of them, so they live here and each module picks the pieces its meaning needs:

- `UNTRUSTED_ROOT`: the local verifier found no path from the peer's certificate to a root it trusts, in the
  words that say only that: Go `x509: certificate signed by unknown authority` (macOS: `certificate is not
  trusted`), OpenSSL/curl/Python `unable to get local issuer certificate`, `unable to get issuer certificate`,
  `unable to verify the first certificate`, `self-signed certificate in certificate chain`, Node's codes for
  them, Java `PKIX path building failed` / `unable to find valid certification path` /
  `SunCertPathBuilderException`.
- `VERIFY_FAILED`: the wrappers that say verification failed and put the reason after them (Python/Envoy
  `CERTIFICATE_VERIFY_FAILED`, OpenSSL `certificate verify failed`, nginx `upstream SSL certificate verify
  error`). The reason may be an expiry or a name instead, so a reader must rule out `EXPIRY` / `NAME_MISMATCH`
  where that matters.
- `PEER_UNKNOWN_CA`: the peer's alert that IT found no trusted root for OUR certificate (Go `remote error: tls:
  unknown certificate authority`, OpenSSL `alert unknown ca`, Java `fatal alert: unknown_ca`): the other side's
  bundle, not this one's.

The compositions below are what the modules import; no module re-declares these words.
"""

from __future__ import annotations

import re

_UNTRUSTED_ROOT = (
    r"signed by unknown authority|certificate is not trusted|"
    r"unable to get (?:local )?issuer certificate|UNABLE_TO_GET_ISSUER_CERT(?:_LOCALLY)?|"
    r"unable to verify the first certificate|UNABLE_TO_VERIFY_LEAF_SIGNATURE|"
    r"self[- ]signed certificate in certificate chain|SELF_SIGNED_CERT_IN_CHAIN|"
    r"PKIX path building failed|unable to find valid certification path|SunCertPathBuilderException")
_VERIFY_FAILED = r"CERTIFICATE_VERIFY_FAILED|certificate verify failed|upstream SSL certificate verify error"
_PEER_UNKNOWN_CA = r"unknown certificate authority|unknown[ _]ca\b"

UNTRUSTED_ROOT = re.compile(_UNTRUSTED_ROOT, re.I)
"""The local verifier found no path to a trusted root, in words that mean only that."""
VERIFY_FAILED = re.compile(_VERIFY_FAILED, re.I)
"""Verification failed, reason following (a root, an expiry or a name): rule out the other two where it matters."""
PEER_UNKNOWN_CA = re.compile(_PEER_UNKNOWN_CA, re.I)
"""The peer's alert: it does not trust the CA of the certificate we presented."""

NO_TRUSTED_ROOT = re.compile(f"{_UNTRUSTED_ROOT}|{_VERIFY_FAILED}", re.I)
"""This process's own verifier refused the chain it was shown (its CA bundle lacks the issuer)."""
AUTHORITY_REFUSED = re.compile(f"{_UNTRUSTED_ROOT}|{_PEER_UNKNOWN_CA}", re.I)
"""Either side refused the other's issuer, in words that name the authority (never a bare 'verify failed')."""
UNCHAINED = re.compile(f"{_UNTRUSTED_ROOT}|{_VERIFY_FAILED}|{_PEER_UNKNOWN_CA}", re.I)
"""Any of the three: a verification refusal about the chain, by either side."""

NAME_MISMATCH = re.compile(r"certificate is valid for|doesn't match|does not match|hostname mismatch|"
                           r"not valid for any names|IP address mismatch", re.I)
"""The verifier trusts the chain but the name it checks is not in the certificate. Loose words ('does not
match'): read them only on a line already known to be a TLS error."""
EXPIRY = re.compile(r"has expired|not yet valid|expired certificate|certificate expired", re.I)
"""The certificate is outside its validity window (the peer's certificate, not the trust). Loose words as above."""
