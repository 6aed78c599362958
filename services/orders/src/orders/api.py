"""HTTP routes of the orders service (reached through the gateway under /api/v1)."""

from fastapi import APIRouter

router = APIRouter(prefix="/api/v1")
