"""HTTP routes of the catalog service (reached through the gateway under /api/v1)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
