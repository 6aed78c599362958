"""Which service answers which path of the public API (DESIGN §5). Paths are passed through as they
are: every service serves its routes under /api/v1 itself."""

ROUTES: tuple[tuple[str, str], ...] = (
    ("/api/v1/plans", "plans"),
    ("/api/v1/catalog", "catalog"),
    ("/api/v1/projects", "bidding"),
    ("/api/v1/announcements", "bidding"),
    ("/api/v1/contracts", "contracts"),
    ("/api/v1/orders", "orders"),
)
SERVICES = ("plans", "catalog", "bidding", "contracts", "orders")


def service_for(path: str) -> str | None:
    for prefix, service in ROUTES:
        if path == prefix or path.startswith(prefix + "/"):
            return service
    return None
