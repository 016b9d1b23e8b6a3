"""The HTTP service and the standards it speaks to portals and EHRs.

- app.py: the FastAPI application (handouts, procedures, languages, health);
- infobutton.py: HL7 Infobutton, URL-based;
- cds_hooks.py, cds_auth.py: CDS Hooks 2.0 services, and whom they trust;
- fhir.py: the FHIR resources we emit (DocumentReference, Bundle, CapabilityStatement);
- negotiation.py: the language of a response;
- pool.py: the supervised PDF worker pool;
- guards.py: checks on raw HTTP input;
- problems.py: RFC 9457 problem details.

Run it with `explainer serve`, or under any ASGI server as
`explainer.service:app` (configured by EXPLAINER_* environment variables).
"""

from __future__ import annotations

from typing import Any

from .app import ServiceSettings, create_app

__all__ = ["ServiceSettings", "create_app"]


def __getattr__(name: str) -> Any:
    """`explainer.service:app` for ASGI servers, built on first use from EXPLAINER_* settings."""
    if name == "app":
        globals()["app"] = create_app()
        return globals()["app"]
    raise AttributeError(name)
