"""Subscribers of the contracts service: one function per consumed event, each calling the command
layer (workflow.py) in the transaction the inbox opened for the event.

ResultConfirmed drafts the contract (待发送) from the agreement's template and the award, renders its
document and publishes ContractDrafted. A replay of the same result (a new event id) drafts nothing."""

from __future__ import annotations

from functools import partial

from sqlmodel.ext.asyncio.session import AsyncSession

from contracts import workflow
from contracts.settings import Settings
from contracts_schema.envelope import Envelope
from contracts_schema.events.bidding import ResultConfirmed
from servicekit.files import Storage
from servicekit.inbox import EventHandlers


def build_handlers(settings: Settings, storage: Storage) -> EventHandlers:
    handlers = EventHandlers()
    handlers.on(ResultConfirmed)(partial(result_confirmed, settings=settings, storage=storage))
    return handlers


async def result_confirmed(session: AsyncSession, event: ResultConfirmed, envelope: Envelope, *,
                           settings: Settings, storage: Storage) -> None:
    await workflow.draft(session, event, storage, contract_sign_days=settings.contract_sign_days)
