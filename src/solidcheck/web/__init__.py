"""The web service (FastAPI): the REST API under /v1 and server-rendered pages."""

from .app import create_app
from .settings import Settings

__all__ = ["Settings", "create_app"]
