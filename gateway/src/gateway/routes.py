"""Which service answers which path (DESIGN §5, §5a). Paths are passed through as they are: every service
serves its routes under /api/v1 itself, and the console (`web`) serves every other page.

The gateway answers its own paths itself (log in, who am I, the key set, the API documents, health,
its own /metrics); any other path outside /api is the console's. No service's /metrics is reachable
through the gateway: services serve theirs at /metrics, outside the /api/v1 prefixes passed to them."""

from functools import lru_cache

from servicekit.metrics import UNMATCHED, route_template

ROUTES: tuple[tuple[str, str], ...] = (
    ("/api/v1/plans", "plans"),
    ("/api/v1/catalog", "catalog"),
    ("/api/v1/projects", "bidding"),
    ("/api/v1/announcements", "bidding"),
    ("/api/v1/ledgers", "bidding"),
    ("/api/v1/contracts", "contracts"),
    ("/api/v1/orders", "orders"),
)
SERVICES = ("plans", "catalog", "bidding", "contracts", "orders")
CONSOLE = "web"

# The gateway's own paths: never passed to the console.
OWN_PATHS = frozenset({"/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json", "/healthz", "/readyz",
                       "/metrics"})
OWN_PREFIXES = ("/api/", "/.well-known/", "/api-docs-assets/")
# Each request asks three times (the edge's access line, the pass-through, the metrics' route label):
# the answers for the last few thousand paths are kept (a few µs a request, out of the gateway's ~150-300).
# Only paths of up to REMEMBERED_LENGTH characters: a caller's long paths must not fill the memory.
RECENT_PATHS = 4096
REMEMBERED_LENGTH = 512


def service_for(path: str) -> str | None:
    return _remembered_service(path) if len(path) <= REMEMBERED_LENGTH else _service_of(path)


def _service_of(path: str) -> str | None:
    for prefix, service in ROUTES:
        if path == prefix or path.startswith(prefix + "/"):
            return service
    if path in OWN_PATHS or path.startswith(OWN_PREFIXES) or path == "/api":
        return None
    return CONSOLE


def route_label(scope: dict) -> str:
    """The route of a request in the gateway's metrics: its own routes by template, a passed-through
    request by the prefix of the service it went to (`/api/v1/plans/*`; the service's own metrics have
    its templates), every console page as `/*`."""
    if scope.get("route") is not None:
        return route_template(scope)
    path = scope["path"]
    return _remembered_label(path) if len(path) <= REMEMBERED_LENGTH else _passed_through_label(path)


def _passed_through_label(path: str) -> str:
    for prefix, _ in ROUTES:
        if path == prefix or path.startswith(prefix + "/"):
            return prefix + "/*"
    return "/*" if service_for(path) == CONSOLE else UNMATCHED


_remembered_service = lru_cache(maxsize=RECENT_PATHS)(_service_of)
_remembered_label = lru_cache(maxsize=RECENT_PATHS)(_passed_through_label)
