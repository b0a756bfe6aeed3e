"""One spelling per identity, so variants of an address share one quota."""

from __future__ import annotations

import unicodedata

import idna


def normalise_identity(identity: str) -> str:
    """Unicode NFKC, casefold, trim; an e-mail address's domain in IDNA (ASCII) form.

    "User@Example.com ", the same in full-width letters, and "user@BÜCHER.de" vs
    "user@xn--bcher-kva.de" each come out the same. NFKC is applied again after casefolding because casefolding
    can un-normalise (NFKC_Casefold does the same).
    """
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", identity).casefold()).strip()
    if not text:
        raise ValueError("identity must not be empty")
    local, at, domain = text.rpartition("@")
    if at and local and domain:
        return f"{local}@{_ascii_domain(domain)}"
    return text


def _ascii_domain(domain: str) -> str:
    domain = domain.rstrip(".")
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        # Not a valid domain name: the casefolded form is still one spelling per variant.
        return domain
