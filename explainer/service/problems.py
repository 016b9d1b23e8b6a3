"""Errors as HTTP responses: RFC 9457 problem details for the JSON API, and a
plain page for people. Neither ever carries a stack trace."""

from __future__ import annotations

from html import escape
from typing import Any


class Problem(Exception):
    """An error with its HTTP status, a stable type name and extension members."""

    def __init__(self, status: int, kind: str, title: str, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.extra = extra
        self.headers: dict[str, str] = {}

    def as_json(self, instance: str) -> dict[str, Any]:
        return {
            "type": f"/problems/{self.kind}",
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
            "instance": instance,
            **self.extra,
        }

    def as_html(self) -> str:
        return (
            '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(self.title)}</title>\n"
            "<style>body{font:18px/1.5 sans-serif;max-width:40em;margin:2em auto;padding:0 1em}</style>\n"
            f"</head>\n<body>\n<h1>{escape(self.title)}</h1>\n<p>{escape(self.detail)}</p>\n</body>\n</html>\n"
        )


# What each problem type means, served at /problems/{kind} for people who follow `type`.
DESCRIPTIONS = {
    "unknown-code": "No handout exists for this procedure code. `closest` lists the nearest codes.",
    "malformed-code": "Not a CPT code (five digits, or four digits then F or T) or an HCPCS code (G0121).",
    "unsupported-language": "No handout exists in this language. `available` lists the tags we serve.",
    "invalid-parameter": "A query parameter has a value that is not accepted. `parameter` names it.",
    "untranslated": "Parts of this handout are not translated yet; `fallback=en` shows them in English.",
    "overloaded": "Every PDF worker is busy. Retry after the number of seconds in Retry-After.",
    "render-timeout": "The PDF took longer than the service allows and was abandoned.",
    "worker-lost": "A PDF worker stopped twice while rendering; the pool has replaced it. Retry.",
    "unprintable-note": "The note holds a character that no installed font can draw; `characters` lists it.",
    "too-large": "The request body is larger than the service accepts.",
    "not-trusted": "A CDS Hooks call without a JWT from a trusted EHR (issuer, key, audience, expiry).",
    "not-configured": "The service needs more configuration for this; the detail says which option.",
    "internal": "Something went wrong on our side; the error is logged without what you sent.",
    "not-found": "There is nothing at this address.",
}
