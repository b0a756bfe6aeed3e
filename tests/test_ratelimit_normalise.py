"""Identity normalisation and key format (no Redis needed)."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from notifydb import Policy
from notifydb.ratelimit.keys import identity_tag, policy_key
from notifydb.ratelimit.normalise import normalise_identity, normalise_unicode

RESET = Policy(name="auth:password-reset", limit=3, window_seconds=3600)

VARIANTS = [
    "user@example.com",
    "User@Example.com",
    "  USER@EXAMPLE.COM\t",
    "\uff35\uff33\uff25\uff32@example.com",  # full-width letters
    "user\uff20example.com",  # full-width commercial at
    "user@example.com.",
]

IDN_VARIANTS = [
    "user@b\u00fccher.de",  # precomposed ü
    "user@bu\u0308cher.de",  # u + combining diaeresis
    "USER@B\u00dcCHER.DE",
    "user@xn--bcher-kva.de",
]


@pytest.mark.parametrize("variants", [VARIANTS, IDN_VARIANTS], ids=["ascii", "idn"])
def test_variants_normalise_to_one_identity(variants: list[str]) -> None:
    assert len({normalise_identity(v) for v in variants}) == 1


def test_idn_domain_becomes_ascii() -> None:
    assert normalise_identity("Jos\u00e9@B\u00fccher.de") == "jos\u00e9@xn--bcher-kva.de"


def test_casefold_goes_beyond_lower() -> None:
    assert normalise_identity("STRASSE") == normalise_identity("stra\u00dfe")


ASCII_ADDRESSES = st.builds(
    "{}@{}".format,
    st.text(st.characters(max_codepoint=127), max_size=12),
    st.text(st.sampled_from("aAzZ09-._xn-- \t!"), max_size=30) | st.sampled_from(["xn--bcher-kva.de", "Xn--ZZ.de"]),
)


@given(st.text(st.characters(max_codepoint=127), max_size=40) | ASCII_ADDRESSES)
@example("a@xn--bcher-kva.de.")
@example("a@-bad-.COM")
@example("a@" + "x" * 64 + ".com")
@example("a@b..c")
def test_the_ascii_shortcut_gives_what_the_unicode_path_gives(identity: str) -> None:
    try:
        expected = normalise_unicode(identity)
    except ValueError:
        with pytest.raises(ValueError):
            normalise_identity(identity)
        return
    assert normalise_identity(identity) == expected


def test_blank_identity_is_refused() -> None:
    with pytest.raises(ValueError, match="identity"):
        normalise_identity(" \u3000 ")


def test_key_follows_the_seed_scheme_with_algorithm_suffix() -> None:
    assert (
        policy_key(RESET, identity_tag("User@Example.com", None)) == "auth:password-reset:{user@example.com}:tries:sw2"
    )
    gcra = Policy(name="auth:verification-email", limit=10, window_seconds=86400, algorithm="gcra")
    assert policy_key(gcra, identity_tag("a@b.c", None)) == "auth:verification-email:{a@b.c}:tries:gcra1"


def test_braces_in_an_identity_cannot_move_the_hash_tag() -> None:
    assert policy_key(RESET, identity_tag("a}b{c%", None)) == "auth:password-reset:{a%7Db%7Bc%25}:tries:sw2"


def test_secret_hides_the_identity_and_still_merges_variants() -> None:
    tags = {identity_tag(v, b"secret") for v in VARIANTS}
    assert len(tags) == 1
    (tag,) = tags
    assert "user" not in tag and "example" not in tag
    assert tag != identity_tag("user@example.com", b"other secret")
    assert tag == "h" + hmac.new(b"secret", b"user@example.com", hashlib.sha256).hexdigest()[:32]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"name": "a{b}", "limit": 1, "window_seconds": 1}, "name"),
        ({"name": "p", "limit": 0, "window_seconds": 1}, "limit"),
        ({"name": "p", "limit": 1, "window_seconds": 0}, "window_seconds"),
        ({"name": "p", "limit": 1, "window_seconds": 1, "on_redis_error": "maybe"}, "on_redis_error"),
        ({"name": "p", "limit": 1, "window_seconds": 1, "algorithm": "fixed"}, "algorithm"),
        ({"name": "p", "limit": 1, "window_seconds": 1, "algorithm": "gcra", "count_rejected": True}, "count_rejected"),
    ],
)
def test_bad_policies_are_refused(settings: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Policy(**settings)
