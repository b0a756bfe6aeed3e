"""Redis keys for rate-limit counters.

The format starts with the seed's scheme and appends the algorithm and its version:

    auth:password-reset:{<id>}:tries:sw2      (sliding window, layout 2: a string of packed times)
    auth:password-reset:{<id>}:tries:gcra1    (GCRA, layout 1: a string)

(Layout 1 of the sliding window was a sorted set; its keys simply expire.)

<id> is the normalised identity, or with a secret "h" + the first 128 bits of its
HMAC-SHA256 in hex, so no address is ever stored in Redis. The braces are a Redis
Cluster hash tag: every policy's key for one identity lands in one slot, so one script
can check several policies atomically. '%', '{' and '}' in an identity are
percent-escaped so the tag always ends where the identity ends.
"""

from __future__ import annotations

import functools
import hashlib
import hmac

from notifydb.ratelimit.normalise import normalise_identity
from notifydb.ratelimit.policy import Policy

_ESCAPES = str.maketrans({"%": "%25", "{": "%7B", "}": "%7D"})


# Normalising (NFKC, casefold, IDNA) and the HMAC cost more than the Redis round trip, and
# the identities worth limiting are the ones that come back: remember the latest few.
@functools.lru_cache(maxsize=4096)
def identity_tag(identity: str, secret: bytes | None) -> str:
    """What goes between the braces for `identity`."""
    normalised = normalise_identity(identity)
    if secret is None:
        return normalised.translate(_ESCAPES)
    mac = _keyed_mac(secret).copy()
    mac.update(normalised.encode("utf-8"))
    return "h" + mac.hexdigest()[:32]


# Keying HMAC-SHA256 (OpenSSL fetches the algorithm each time) costs several times what
# hashing an address does; a copy of a keyed one does not.
@functools.lru_cache(maxsize=16)
def _keyed_mac(secret: bytes) -> hmac.HMAC:
    return hmac.new(secret, digestmod=hashlib.sha256)


def policy_key(policy: Policy, tag: str) -> str:
    return f"{policy.name}:{{{tag}}}:tries:{policy.key_suffix}"
