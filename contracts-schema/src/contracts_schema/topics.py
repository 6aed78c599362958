"""Kafka topics: one per bounded context. The message key is always the aggregate id."""

PLANS = "plans.events"
CATALOG = "catalog.events"
BIDDING = "bidding.events"
CONTRACTS = "contracts.events"
ORDERS = "orders.events"

ALL_TOPICS = (PLANS, CATALOG, BIDDING, CONTRACTS, ORDERS)


def dead_letter_topic(consumer: str) -> str:
    """Where a consumer parks an event it could not handle after its bounded retries."""
    return f"{consumer}.dlq"
