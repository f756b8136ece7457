"""The REST API, under /v1 (being written)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/v1")
