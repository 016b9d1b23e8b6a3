"""Who may call our CDS Hooks services: the EHRs the operator trusts.

CDS Hooks 2.0 has the EHR sign a short-lived JWT for every call: `iss` names the
EHR, `aud` is the URL of the service called, `exp` at most five minutes ahead,
`jti` unique; the EHR publishes its public keys as a JWK Set. We accept a call
only when its issuer is on the operator's list and its signature checks against
the keys the operator configured (a JWKS file, or the issuer's JWKS URL): never a
key the token itself points at. With nothing configured every CDS call is
refused, unless the operator starts the service in development mode, which
trusts anyone and says so in every card. PyJWT does the cryptography.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt

ALGORITHMS = ["ES384", "RS384"]  # the two CDS Hooks 2.0 requires services to support
MAX_LIFETIME = 5 * 60 + 30  # seconds from iat to exp, with a little clock skew


class NotTrusted(Exception):
    """A call without a token we can trust; the message says why, in one line."""


@dataclass(frozen=True)
class CdsTrust:
    issuers: tuple[str, ...] = ()
    jwks: str = ""  # a JWKS file, or an https:// URL
    development: bool = False
    _keys: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def configured(self) -> bool:
        return bool(self.issuers and self.jwks)

    def check(self, authorization: str | None, audience: str) -> dict[str, Any]:
        """The token's claims, if the call may proceed; NotTrusted otherwise."""
        if self.development:
            return {"iss": "development mode", "sub": "anyone"}
        if not self.configured:
            raise NotTrusted(
                "CDS Hooks calls are refused: no EHR is trusted yet (set --cds-issuer and --cds-jwks)"
            )
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotTrusted("the call has no bearer token (CDS Hooks requires a JWT from the EHR)")
        try:
            unverified = jwt.decode(token, options={"verify_signature": False})
            issuer = unverified.get("iss")
            if issuer not in self.issuers:
                raise NotTrusted(f"the token's issuer {str(issuer)[:80]!r} is not a trusted EHR")
            key = self._key(jwt.get_unverified_header(token).get("kid"))
            claims = jwt.decode(
                token,
                key,
                algorithms=ALGORITHMS,
                audience=audience,
                issuer=issuer,
                options={"require": ["iss", "aud", "exp", "iat", "jti"]},
            )
        except jwt.PyJWTError as error:
            raise NotTrusted(f"the token is not valid: {error}") from None
        if claims["exp"] - claims["iat"] > MAX_LIFETIME or claims["iat"] > time.time() + 60:
            raise NotTrusted("the token lives longer than five minutes, or was issued in the future")
        return claims

    def _key(self, kid: str | None) -> Any:
        if self.jwks.startswith("https://"):
            client = self._keys.setdefault(
                "client", jwt.PyJWKClient(self.jwks, cache_keys=True, lifespan=300)
            )
            return client.get_signing_key(kid).key  # the operator's URL, never the token's jku
        if "set" not in self._keys:
            try:
                self._keys["set"] = jwt.PyJWKSet.from_dict(json.loads(Path(self.jwks).read_text()))
            except (OSError, ValueError, jwt.PyJWTError) as error:
                raise NotTrusted(f"the configured JWKS {self.jwks} cannot be read: {error}") from None
        keys = self._keys["set"]
        for key in keys.keys:
            if kid is None or key.key_id == kid:
                return key.key
        raise NotTrusted(f"no trusted key has the id {str(kid)[:40]!r}")
