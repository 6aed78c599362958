"""The console's words: the manual's menus per role, and a Chinese sentence for every error code the
API can return (the API's own message is shown when it has one; these head the message box and stand in
when it has none). `web/tests/test_texts.py` fails when a code raised anywhere in the platform has no
sentence here."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MenuItem:
    label: str
    href: str
    group: str = ""


MENUS: dict[str, tuple[MenuItem, ...]] = {
    "purchaser": (
        MenuItem("待办事项", "/", "工作台"),
        MenuItem("我的计划", "/plans", "计划管理"),
        MenuItem("入围服务库", "/catalog", "框架协议首页"),
        MenuItem("直接选定项目", "/projects?method=direct_selection", "项目管理"),
        MenuItem("二次竞价项目管理（服务类）", "/projects?method=secondary_bidding", "项目管理"),
        MenuItem("我的合同", "/contracts", "合同与订单"),
        MenuItem("我的订单", "/orders", "合同与订单"),
        MenuItem("采购公告", "/announcements?kind=procurement", "公告"),
        MenuItem("成交结果公告", "/announcements?kind=award", "公告"),
    ),
    "supplier": (
        MenuItem("待办事项", "/", "工作台"),
        MenuItem("待报价项目", "/quoting", "项目"),
        MenuItem("我的合同", "/contracts", "合同与订单"),
        MenuItem("我的订单", "/orders", "合同与订单"),
        MenuItem("我的服务", "/my-services", "入围服务"),
        MenuItem("采购公告", "/announcements?kind=procurement", "公告"),
        MenuItem("成交结果公告", "/announcements?kind=award", "公告"),
    ),
    "agency": (
        MenuItem("工作台", "/", "工作台"),
        MenuItem("框架协议", "/agreements", "框架协议"),
        MenuItem("导入入围结果", "/agreements/import", "框架协议"),
        MenuItem("供应商管理", "/suppliers", "供应商管理"),
        MenuItem("入围服务库", "/catalog", "框架协议首页"),
        MenuItem("采购公告", "/announcements?kind=procurement", "公告"),
        MenuItem("成交结果公告", "/announcements?kind=award", "公告"),
    ),
    "": (
        MenuItem("采购公告", "/announcements?kind=procurement", "公告"),
        MenuItem("成交结果公告", "/announcements?kind=award", "公告"),
        MenuItem("登录", "/login", "账号"),
    ),
}

ROLE_LABELS = {"purchaser": "采购人", "supplier": "供应商", "agency": "征集人"}

# One sentence per stable error code. Keep them short and say what to do.
ERROR_TEXTS: dict[str, str] = {
    # the platform's generic codes
    "bad_request": "请求有误，请检查后重试。",
    "unauthorized": "登录已失效，请重新登录。",
    "invalid_credentials": "用户名或密码错误。",
    "forbidden": "您没有权限进行此操作。",
    "not_found": "未找到该记录，可能已被删除或您无权查看。",
    "conflict": "当前状态下不能进行此操作。",
    "illegal_transition": "当前状态下不能进行此操作。",
    "invalid": "填写的内容不符合规则，请修改后重试。",
    "validation_error": "填写的内容有误，请按提示修改。",
    "too_large": "文件太大，请压缩后重新上传。",
    "rate_limited": "操作过于频繁，请稍后再试。",
    "method_not_allowed": "不支持此操作。",
    "internal_error": "系统出现错误，请稍后重试。",
    "service_unavailable": "服务暂时不可用，请稍后重试。",
    "service_timeout": "服务响应超时，请稍后重试。",
    "gateway_unavailable": "平台暂时无法访问，请稍后重试。",
    "not_ready": "服务正在启动，请稍后重试。",
    "error": "请求未能完成，请稍后重试。",
    "csrf_refused": "页面已过期，请刷新页面后重新提交。",
}


def error_text(code: str) -> str:
    return ERROR_TEXTS.get(code, ERROR_TEXTS["error"])
