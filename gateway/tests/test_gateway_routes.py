"""Which process answers a path: the API to its service, the gateway's own paths to itself, every other
page to the console (DESIGN §5a)."""

import pytest

from gateway.routes import service_for


@pytest.mark.parametrize(("path", "answers"), [
    ("/api/v1/plans", "plans"), ("/api/v1/plans/P1", "plans"), ("/api/v1/projects/X/quotes", "bidding"),
    ("/api/v1/announcements", "bidding"), ("/api/v1/orders/O1/payments", "orders"),
    ("/api/v1/contracts/announcements", "contracts"), ("/api/v1/contracts/announcements/HG1", "contracts"),
    ("/api/v1/contracts/ca.crl", "contracts"), ("/announcements/contracts/HG1", "web"),
    ("/api/v1/auth/token", None), ("/api/v1/me", None), ("/api/v1/unknown", None), ("/api", None),
    ("/docs", None), ("/redoc", None), ("/openapi.json", None), ("/.well-known/jwks.json", None),
    ("/api-docs-assets/swagger-ui.css", None), ("/healthz", None), ("/readyz", None), ("/metrics", None),
    ("/", "web"), ("/login", "web"), ("/plans/new", "web"), ("/static/console.css", "web"),
    ("/announcements", "web"), ("/api-not-really", "web"),
])
def test_each_path_has_one_answerer(path, answers):
    assert service_for(path) == answers


def test_long_paths_are_answered_alike_and_not_remembered():
    from gateway import routes

    long_api, long_page = "/api/v1/orders/" + "o" * 10_000, "/plans/" + "p" * 10_000
    routes._remembered_service.cache_clear()
    before = routes._remembered_service.cache_info().currsize, routes._remembered_label.cache_info().currsize
    assert service_for(long_api) == "orders" and service_for(long_page) == "web"
    assert routes.route_label({"path": long_api}) == "/api/v1/orders/*"
    assert routes.route_label({"path": long_page}) == "/*"
    assert (routes._remembered_service.cache_info().currsize,
            routes._remembered_label.cache_info().currsize) == before
    short = "/api/v1/orders/" + "o" * 400  # a short path is remembered
    assert service_for(short) == "orders" and service_for(short) == "orders"
    assert routes._remembered_service.cache_info().hits >= 1
