"""Every error code the platform can return has a Chinese sentence in web.texts.ERROR_TEXTS: the source of
every service, the gateway and servicekit is scanned for the codes it raises, and a code without a
sentence fails here (add it to ERROR_TEXTS: a short sentence saying what to do)."""

from __future__ import annotations

import re
from pathlib import Path

from web import texts

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [*sorted(ROOT.glob("services/*/src")), ROOT / "gateway" / "src", ROOT / "libs" / "servicekit" / "src"]
CODE = r"\"([a-z][a-z0-9_]*)\""
PATTERNS = [
    re.compile(r"\bcode=" + CODE),  # raise Invalid("…", code="above_ceiling")
    re.compile(r"^\s+code\s*=\s*" + CODE, re.M),  # class FileMissing(APIError): code = "file_missing"
    re.compile(r"^\s+status,\s*code\s*=\s*\d{3},\s*" + CODE, re.M),  # status, code = 409, "conflict"
    re.compile(r"\berror_body\(\s*" + CODE),  # error_body("validation_error", …)
    re.compile(r"\"code\":\s*" + CODE),  # {"code": "not_ready", …}
    re.compile(r"\b(?:send_error|_unavailable)\([^()\"]*?\d{3},\s*" + CODE),  # the gateway's own refusals
]


def raised_codes() -> dict[str, str]:
    """code → the first file that raises it."""
    found: dict[str, str] = {}
    for source in SOURCES:
        for path in sorted(source.rglob("*.py")):
            content = path.read_text(encoding="utf-8")
            for pattern in PATTERNS:
                for code in pattern.findall(content):
                    found.setdefault(code, str(path.relative_to(ROOT)))
    return found


def test_the_scan_finds_the_platforms_codes():
    codes = raised_codes()
    # one of each kind of declaration, so a scan that silently finds nothing cannot pass
    for code in ("above_ceiling", "file_missing", "conflict", "validation_error", "not_ready", "rate_limited"):
        assert code in codes, code
    assert len(codes) > 60


def test_every_error_code_has_a_chinese_sentence():
    missing = {code: where for code, where in raised_codes().items() if code not in texts.ERROR_TEXTS}
    assert not missing, "add these codes to web/src/web/texts.py ERROR_TEXTS: " + ", ".join(
        f"{code} ({where})" for code, where in sorted(missing.items()))


def test_the_sentences_are_chinese_and_short():
    for code, sentence in texts.ERROR_TEXTS.items():
        assert re.search(r"[\u4e00-\u9fff]", sentence), code
        assert len(sentence) <= 60 and sentence.endswith("。"), code
    assert texts.error_text("no_such_code") == texts.ERROR_TEXTS["error"]
