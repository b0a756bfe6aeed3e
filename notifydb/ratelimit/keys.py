"""Redis keys for rate-limit counters.

The format starts with the seed's scheme and appends the algorithm and its version:

    auth:password-reset:{<id>}:tries:sw1      (sliding window, layout 1: a sorted set)
    auth:password-reset:{<id>}:tries:gcra1    (GCRA, layout 1: a string)

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
    digest = hmac.new(secret, normalised.encode("utf-8"), hashlib.sha256).hexdigest()
    return "h" + digest[:32]


def policy_key(policy: Policy, tag: str) -> str:
    return f"{policy.name}:{{{tag}}}:tries:{policy.key_suffix}"
