"""The live OCPP-J endpoint (issue 17): ``endpoint.py`` the WebSocket route and handshake,
``connection.py`` what is done around every frame (log, limits, hooks), ``handlers.py`` the
central system's answers per OCPP version (mobilityhouse ``ocpp``)."""

from .endpoint import Endpoint, router
from .setup import endpoint_of, live_ruleset_of

__all__ = ["Endpoint", "endpoint_of", "live_ruleset_of", "router"]
