"""The console's pages, one module per area of the manual. Each module has a `router`."""

from web.pages import auth, home

ROUTERS = [auth.router, home.router]

from web.pages import plans  # noqa: E402  (我的计划)
ROUTERS += [plans.router]
