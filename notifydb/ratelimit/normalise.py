"""One spelling per identity, so variants of an address share one quota."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import idna


def normalise_identity(identity: str) -> str:
    """Unicode NFKC, casefold, trim; an e-mail address's domain in IDNA (ASCII) form.

    "User@Example.com ", the same in full-width letters, and "user@BÜCHER.de" vs
    "user@xn--bcher-kva.de" each come out the same. NFKC is applied again after casefolding because casefolding
    can un-normalise (NFKC_Casefold does the same).
    """
    if identity.isascii():
        # NFKC keeps ASCII as it is, casefolding ASCII is lower(), and IDNA gives back an
        # ASCII domain as it is or fails (and a failure keeps it too): the same result
        # without IDNA, which costs more than the Redis round trip.
        return _split_domain(identity.lower().strip(), lambda domain: domain.rstrip("."))
    return normalise_unicode(identity)


def normalise_unicode(identity: str) -> str:
    """normalise_identity without its shortcut for ASCII."""
    text = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", identity).casefold()).strip()
    return _split_domain(text, _ascii_domain)


def _split_domain(text: str, ascii_domain: Callable[[str], str]) -> str:
    if not text:
        raise ValueError("identity must not be empty")
    local, at, domain = text.rpartition("@")
    if at and local and domain:
        return f"{local}@{ascii_domain(domain)}"
    return text


def _ascii_domain(domain: str) -> str:
    domain = domain.rstrip(".")
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        # Not a valid domain name: the casefolded form is still one spelling per variant.
        return domain
