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
        MenuItem("顺序轮候项目", "/projects?method=rotation", "项目管理"),
        MenuItem("我的合同", "/contracts", "合同与订单"),
        MenuItem("我的订单", "/orders", "合同与订单"),
        MenuItem("采购公告", "/announcements?kind=procurement", "公告"),
        MenuItem("成交结果公告", "/announcements?kind=award", "公告"),
        MenuItem("合同公告", "/announcements?kind=contract", "公告"),
        MenuItem("直接选定汇总公告", "/announcements?kind=summary", "公告"),
    ),
    "supplier": (
        MenuItem("待办事项", "/", "工作台"),
        MenuItem("待报价项目", "/quoting", "项目"),
        MenuItem("我的合同", "/contracts", "合同与订单"),
        MenuItem("我的订单", "/orders", "合同与订单"),
        MenuItem("我的服务", "/my-services", "入围服务"),
        MenuItem("采购公告", "/announcements?kind=procurement", "公告"),
        MenuItem("成交结果公告", "/announcements?kind=award", "公告"),
        MenuItem("合同公告", "/announcements?kind=contract", "公告"),
        MenuItem("直接选定汇总公告", "/announcements?kind=summary", "公告"),
    ),
    "agency": (
        MenuItem("工作台", "/", "工作台"),
        MenuItem("框架协议", "/agreements", "框架协议"),
        MenuItem("导入入围结果", "/agreements/import", "框架协议"),
        MenuItem("协议执行台账", "/ledgers", "框架协议"),
        MenuItem("供应商管理", "/suppliers", "供应商管理"),
        MenuItem("清退管理", "/suppliers?view=clearing", "供应商管理"),
        MenuItem("入围服务库", "/catalog", "框架协议首页"),
        MenuItem("采购公告", "/announcements?kind=procurement", "公告"),
        MenuItem("成交结果公告", "/announcements?kind=award", "公告"),
        MenuItem("合同公告", "/announcements?kind=contract", "公告"),
        MenuItem("直接选定汇总公告", "/announcements?kind=summary", "公告"),
    ),
    "": (
        MenuItem("采购公告", "/announcements?kind=procurement", "公告"),
        MenuItem("成交结果公告", "/announcements?kind=award", "公告"),
        MenuItem("合同公告", "/announcements?kind=contract", "公告"),
        MenuItem("直接选定汇总公告", "/announcements?kind=summary", "公告"),
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
    # the contract PDF's own signatures (PAdES)
    "external_tsa": "平台使用外部时间戳服务，没有自己的时间戳证书可下载。",
    "modified_after_last_seal": "合同文件在最后一次盖章之后被追加修改，请以盖章时的版本为准并联系平台核查。",
    "pdf_signature_missing": "合同文件中缺少对应的电子签章，请联系平台核查。",
    "pdf_signature_unknown": "合同文件中有平台无法识别的签章，请联系平台核查。",
    "sealed_meanwhile": "对方刚刚完成了盖章，请刷新页面查看最新状态。",
    # 计划 (plans)
    "invalid_filing_no": "财政备案号格式不正确，请按备案文件填写。",
    "plan_without_lines": "采购计划至少要有一条计划明细。",
    "too_many_lines": "计划明细太多，请拆分为多个计划。",
    "unknown_line": "找不到该计划明细，请刷新页面后重试。",
    "line_named_twice": "同一条计划明细只能修改或删除一次。",
    "line_in_use": "该计划明细已被项目使用，不能删除。",
    "plan_in_use": "该计划已被项目使用，不能再修改。",
    "budget_below_committed": "预算不能低于已预留和已成交的金额。",
    "budget_below_spent": "预算不能低于已支付的金额。",
    "stale_revision": "计划已被他人修改，请刷新页面后重新填写。",
    # 框架协议与入围服务库 (catalog)
    "agreement_exists": "该协议编号已发布过，请核对编号。",
    "agreement_expired": "该框架协议已过期，不能再操作。",
    "invalid_validity": "有效期不正确：止日不得早于起日，且不能已过期。",
    "invalid_methods": "采购方式有误：每种方式只能选一次。",
    "invalid_discount_tiers": "优惠阶梯有误：单价须低于协议价格，数量越大单价越低。",
    "duplicate_supplier": "同一供应商被列入了两次，请删除重复的一行。",
    "duplicate_service": "同一供应商的同一服务列入了两次，请删除重复的一行。",
    "too_many_offerings": "一份协议的服务报价太多，请拆分为多份协议。",
    "unknown_category": "品目代码不存在，请从品目列表中选择。",
    "category_outside_agreement": "服务的品目不在协议品目之下，请修改品目。",
    "not_shortlisted": "贵单位不是该框架协议的入围供应商。",
    "service_not_in_agreement": "该服务不在贵单位的入围服务中。",
    "price_above_agreement_price": "上架价格不能高于协议价格。",
    "supplier_suspended": "该供应商已被暂停，不能进行此操作。",
    # 项目与报价 (bidding)
    "unknown_plan": "采购计划尚未同步到项目，请稍候几秒再提交。",
    "unknown_plan_line": "计划明细尚未同步到项目，请稍候几秒再提交。",
    "unknown_agreement": "框架协议尚未同步到项目，请稍候几秒再提交。",
    "supplier_not_shortlisted": "所选供应商不是该协议的入围供应商，或尚未同步，请稍候再试。",
    "service_not_listed": "该服务未上架或尚未同步，请稍候再试或另选服务。",
    "no_eligible_supplier": "没有符合要求的入围供应商可以邀请，请调整需求或协议。",
    "no_eligible_quote": "没有有效报价（报价供应商已被暂停），请终止项目。",
    "agreement_not_valid": "该框架协议不在有效期内，不能用于此项目。",
    "ends_after_agreement": "竞价结束时间晚于框架协议到期日，请提前开始时间或缩短时长。",
    "category_mismatch": "服务的品目与计划明细的品目不一致，请重新选择。",
    "quantity_above_plan": "采购数量超过了计划明细的数量，请修改数量。",
    "invalid_quantity": "数量须大于 0，请重新填写。",
    "invalid_amount": "报价须大于 0，最多两位小数。",
    "invalid_duration": "竞价时长不符合要求，请按提示修改。",
    "start_in_past": "竞价开始时间不能早于现在，请重新选择。",
    "above_ceiling": "报价不能高于最高限价（协议价格×数量）。",
    "window_not_open": "报价尚未开始，请在竞价开始后再报价。",
    "window_closed": "报价已截止，不能再报价。",
    "quotes_sealed": "报价截止前不能查看报价。",
    "superseded": "您已有更新的报价，以最新报价为准。",
    "service_required": "请选择用于报价的服务。",
    "winner_changed": "拟成交供应商已变化，请重新查看报价后再确认。",
    # 合同与签章 (contracts)
    "wrong_party": "此步骤应由合同的另一方办理。",
    "offline_contract": "该合同选择了线下签订，请上传签字盖章的扫描件。",
    "ca_seal_contract": "该合同选择了CA电子签章，请使用【盖章】。",
    "seal_not_enrolled": "贵单位尚未办理CA电子签章，请先办理。",
    "seal_already_enrolled": "贵单位已办理CA电子签章，无需重复办理。",
    "wrong_ca_password": "CA密码错误，请重新输入。",
    "seal_locked": "CA密码错误次数过多，签章已锁定，请稍后再试。",
    "certificate_expired": "CA证书已过期，请重新办理。",
    "certificate_revoked": "CA证书已注销，请重新办理。",
    "document_changed": "合同文件已变化，请重新打开合同核对后再操作。",
    "scan_changed": "签字扫描件缺失或已变化，请重新上传。",
    # 用户评价
    "already_evaluated": "本订单已评价过，每个订单只能评价一次。",
    "already_answered": "您已回复过本评价，只能回复一次。",
    "not_evaluated": "采购单位尚未评价本订单。",
    "invalid_scores": "请为每个评价维度选择 1 至 5 分。",
    "invalid_dimensions": "评价维度为 1 至 10 项，且不能重复。",
    "not_agreement_agency": "只有发布该框架协议的征集人可以设置其评价维度。",
    "agreement_not_found": "该框架协议不存在；刚发布的协议请稍后再试。",
    "seal_missing": "合同缺少一方的签章，请先完成签章。",
    "already_filed": "本合同已登记备案。",
    "announcement_not_found": "该合同公告不存在。",
    # 订单 (orders)
    "duplicate_invoice": "该发票号已登记过，请核对发票号。",
    "overinvoiced": "开票金额合计不能超过订单金额。",
    "overpayment": "支付金额合计不能超过订单金额。",
    "date_in_future": "日期不能晚于今天。",
    # 登录与文件 (gateway, servicekit)
    "invalid_token": "登录信息无效，请重新登录。",
    "token_expired": "登录已过期，请重新登录。",
    "unsupported_file_type": "文件类型不支持，请上传 PDF、JPG 或 PNG 文件。",
    "bad_file_name": "文件名不合规，请改名后重新上传。",
    "empty_file": "文件是空的，请重新选择。",
    "file_too_large": "文件太大，请压缩后重新上传。",
    "request_too_large": "提交的内容太大，请压缩文件后重试。",
    "file_missing": "文件已丢失，请联系管理员或重新上传。",
    # rotation (顺序轮候) and clearing (清退)
    "invalid_rotation_order": "轮候顺序须恰好包含每个入围供应商一次。",
    "already_in_rotation": "该供应商已在轮候顺序中。",
    "unknown_clearing_cause": "请从列表中选择清退情形。",
    "supplier_cleared": "该供应商已被清退出框架协议。",
    "unknown_decline_reason": "请从列表中选择拒绝理由。",
    "reason_code_required": "请选择拒绝理由。",
    "no_rotation_supplier": "轮候顺序中没有可以承接该项目的供应商。",
    "rotation_busy": "轮候顺序刚被其他项目占用，请重试。",
    "not_your_turn": "该项目已转给轮候顺序中的下一家供应商。",
}


def error_text(code: str) -> str:
    return ERROR_TEXTS.get(code, ERROR_TEXTS["error"])
