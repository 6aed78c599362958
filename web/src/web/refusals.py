"""A refused form, field by field: the sentence each refused field shows beside it, in Chinese.

The API answers a malformed request with a 422 `validation_error` whose `message` names every refused
field and why, in Chinese (`字段 lines[0].quantity：须大于 0；字段 filing_no：至少 1 个字符`), and whose
`details` list each field's location (its English `msg` is pydantic's, not for a person). A business
rule (a filing number of the wrong form, a quantity above the plan) is one `code` and one sentence, and
the page knows which field it concerns. `field_errors()` turns either into `{form field name: sentence}`
for `ui.field(errors=...)`:

- a field left empty: 请填写<label>;
- else the API's Chinese reason for that field (`预算金额：须大于 0`);
- else (the message names the first five fields only, or its reason is not Chinese) the page's own
  sentence for that field, which says what is expected.

`summary()` is the box above the form: what went wrong, and a link to each refused field."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from web import texts
from web.gateway import ApiError

_PART = re.compile(r"^(?:字段|参数)\s*(?P<where>[^：]+)：(?P<reason>.+)$")
_CJK = re.compile(r"[\u4e00-\u9fff]")


def dotted(where: str) -> str:
    """`lines[0].quantity` (the API's message) → `lines.0.quantity` (the form field's name)."""
    return re.sub(r"\[(\d+)\]", r".\1", where).strip(".")


def api_reasons(message: str) -> dict[str, str]:
    """The reason the API's validation message gives for each field it names."""
    reasons: dict[str, str] = {}
    for part in message.split("；"):
        match = _PART.match(part.strip())
        if match:
            reasons.setdefault(dotted(match["where"].strip()), match["reason"].strip())
    return reasons


def chinese(text: str) -> bool:
    """A sentence for a person in Chinese, not an English one quoting a Chinese name."""
    cjk = len(_CJK.findall(text or ""))
    return cjk >= 2 and cjk * 2 >= len(re.findall(r"[A-Za-z]", text or ""))


def field_errors(error: ApiError, *, labels: Mapping[str, str], typed: Mapping[str, str],
                 fallback: Mapping[str, str] | None = None, rename: Callable[[str], str | None] | None = None,
                 rules: Mapping[str, str] | None = None, rule_texts: Mapping[str, str] | None = None
                 ) -> dict[str, str]:
    """`{form field: sentence}` for a refusal.

    labels / fallback: by the field's own name (the last part: `quantity` of `lines.0.quantity`);
    typed: what the person typed, by form field name; rename: the API's field name → the form's (None: not
    a field of this form); rules: business-rule `code` → the form field it concerns (its sentence is the
    API's message, or rule_texts[code] when that message is not in Chinese)."""
    rename = rename or (lambda name: name)
    fallback = fallback or {}
    out: dict[str, str] = {}
    if rules and error.code in rules:
        out[rules[error.code]] = error.message if chinese(error.message) else (
            (rule_texts or {}).get(error.code) or texts.error_text(error.code))
        return out
    reasons = api_reasons(error.message) if error.code == "validation_error" else {}
    for api_name in error.fields:
        name = rename(api_name)
        if not name or name in out:
            continue
        own = name.rsplit(".", 1)[-1]
        label = labels.get(own, own)
        reason = reasons.get(api_name, "")
        if name in typed and not typed[name].strip():
            out[name] = f"请填写{label}"
        elif reason and chinese(reason) and reason != "必填":
            out[name] = f"{label}：{reason}"
        else:
            out[name] = fallback.get(own) or f"{label}填写有误，请检查"
    return out


def anchor(name: str) -> str:
    """The id `ui.field` gives the input of form field `name`."""
    return "f-" + name.replace(".", "-")


def summary(error: ApiError, errors: Mapping[str, str], *, title: str,
            where: Callable[[str], str] = lambda name: "", rule_texts: Mapping[str, str] | None = None
            ) -> dict[str, object]:
    """The box above a refused form: `title`, and each refused field as (the id of its input, its sentence +
    where it is: `where(name)`, e.g. （第 2 条明细）), or, when the refusal concerns no field, the API's sentence (the page's own for that code
    when the API's is not in Chinese)."""
    if errors:
        message = ""
    elif chinese(error.message):
        message = error.message
    else:
        message = (rule_texts or {}).get(error.code) or texts.error_text(error.code)
    items = [(anchor(name), f"{sentence}{where(name)}") for name, sentence in errors.items()]
    return {"code": error.code, "title": title, "message": message, "items": items}
