"""The REST API under ``/v1``, and ``/healthz`` and ``/metrics``: one module per concern,
each with its own router, assembled here into the two routers ``app.py`` mounts.

Routes parse and answer; every decision is the core's (``classify``, ``verify``, ``audit``)
or the registry's. Bodies that are files — a dossier, a certificate, an instrument file, a
document to audit — are read as the bytes sent, so the problems reported are solidcheck's own
(the same as the command line's) and a certificate is checked byte for byte. Their schemas
are declared in ``openapi_extra`` (``openapi.py``); ``app.py`` adds the dossier's schema to
the document.
"""

from __future__ import annotations

from fastapi import APIRouter

from . import access, cells, certificates, claim_audit, classification, keys, operations, results
from .results import ResultFormat, negotiate

__all__ = ["ResultFormat", "negotiate", "router", "system_router"]

router = APIRouter()
# in this order the paths appear in the OpenAPI document
for _part in (classification, cells, results, certificates, claim_audit, keys, access):
    router.include_router(_part.router)
system_router = operations.router

# ch18-hooks: the alert webhooks
from . import charging_webhooks  # noqa: E402

router.include_router(charging_webhooks.router)
# ch18-tickets: /v1/charging/tickets
from . import charging_tickets  # noqa: E402

router.include_router(charging_tickets.router)
# ch18-alerts: the live alerts and their stream
from . import charging_alerts  # noqa: E402

router.include_router(charging_alerts.router)
# risk-show: the ports at risk
from . import charging_risk  # noqa: E402

router.include_router(charging_risk.router)
