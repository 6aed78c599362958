"""Seeding the demo units and accounts (idempotent)."""

from __future__ import annotations

import asyncio
import logging

from sqlmodel import select

from contracts_schema.types import utcnow
from gateway import demo
from gateway.identity import hash_password
from gateway.store import Org, User
from servicekit.db import Database

log = logging.getLogger("gateway.accounts")


async def seed_demo_accounts(db: Database) -> int:
    created = 0
    async with db.transaction() as session:
        known_orgs = set((await session.exec(select(Org.org_id))).all())
        known_users = set((await session.exec(select(User.username))).all())
        for org in demo.ORGS:
            if org.org_id not in known_orgs:
                session.add(Org(org_id=org.org_id, name=org.name, kind=org.kind, address=org.address,
                                contact_name=org.contact_name, contact_phone=org.contact_phone))
        await session.flush()
        missing = len(known_users) < len(demo.USERS)
        password_hash = await asyncio.to_thread(hash_password, demo.DEMO_PASSWORD) if missing else ""
        for user in demo.USERS:
            if user.username not in known_users:
                session.add(User(username=user.username, display_name=user.display_name, org_id=user.org_id,
                                 role=user.role, password_hash=password_hash, created_at=utcnow()))
                created += 1
    if created:
        log.info("seeded %d demo accounts", created)
    return created
