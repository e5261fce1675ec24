"""Verified customer identities for hosts whose customers are signed in on the host's site.

The host's **server** computes ``hex(HMAC-SHA256(CUSTOMER_HMAC_SECRET, customer_id))`` and puts
it in the page next to the customer id; the widget sends both (``customer_id`` and
``customer_signature``). A visitor can see their own signature but cannot compute one for
another customer id without the secret, so they cannot claim someone else's identity.
See docs/SECURITY.md for host-side examples.
"""

from __future__ import annotations

import hashlib
import hmac

from nura_appliance.errors import Forbidden
from nura_appliance.settings import Settings


def customer_signature(secret: str, customer_id: str) -> str:
    """The signature a host server computes for ``customer_id``."""
    return hmac.new(secret.encode("utf-8"), customer_id.encode("utf-8"), hashlib.sha256).hexdigest()


def verify_customer(settings: Settings, customer_id: str | None, signature: object) -> str | None:
    """The customer id to trust for this request.

    Without ``CUSTOMER_HMAC_SECRET`` every customer id is taken as given (anonymous widget ids).
    With it, a correctly signed id is kept, an unsigned id is dropped (the visitor is treated as
    anonymous) and a wrong signature is refused with 403.
    """
    secret = settings.customer_hmac_secret
    if not secret or not customer_id:
        return customer_id
    if signature is None or signature == "":
        return None
    if not isinstance(signature, str) or not hmac.compare_digest(
        signature.strip().lower().encode("ascii", "replace"), customer_signature(secret, customer_id).encode()
    ):
        raise Forbidden("customer_signature does not match customer_id", code="customer_signature_invalid")
    return customer_id
