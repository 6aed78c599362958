"""The console's pages, one module per area of the manual. Each module has a `router`."""

from web.pages import auth, home

ROUTERS = [auth.router, home.router]

from web.pages import catalog, direct, plans  # noqa: E402  (我的计划, 入围服务库, 直接选定)
ROUTERS += [plans.router, catalog.router, direct.router]

from web.pages import projects, public, quoting  # noqa: E402  (项目管理, 待报价项目, 公告)
ROUTERS += [projects.router, quoting.router, public.router]

from web.pages import ledger  # noqa: E402  (协议执行台账: before agency's /agreements/{id})
ROUTERS += [ledger.router]

from web.pages import agency  # noqa: E402  (框架协议, 导入入围结果, 供应商管理)
ROUTERS += [agency.router]

from web.pages import contracts, orders, services  # noqa: E402  (我的合同, 我的订单, 我的服务)
ROUTERS += [contracts.router, orders.router, services.router]

from web.pages import rotation  # noqa: E402  (顺序轮候项目, 接受/拒绝授予, 轮候顺序, 清退管理)
ROUTERS += [rotation.router]
