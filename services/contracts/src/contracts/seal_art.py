"""The visible seal (印章印模): a red round seal drawn as PDF vector graphics — the unit's name
around the upper arc, a five-pointed star in the middle, the seal's purpose (合同专用章) below it —
and the date beside it. Text is drawn as glyph outlines taken from a CJK font (Noto Sans CJK SC,
the fonts-noto-cjk package; SEAL_FONT_FILE names another), so the imprint needs no font in the PDF
and looks the same in every reader. Pure: content-stream bytes in, no I/O but reading the font."""

from __future__ import annotations

import logging
import math
import threading
from functools import lru_cache
from pathlib import Path

from fontTools.pens.basePen import BasePen
from fontTools.ttLib import TTCollection, TTFont

log = logging.getLogger("contracts.seal_art")

FONT_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)
RED = "0.86 0.08 0.10"
# fontTools reads tables and decompiles glyph programs lazily, in place: not safe from two threads at once
# (seals are drawn in worker threads; two at the same moment corrupted a glyph, issue 11's chaos suite).
_FONT_LOCK = threading.Lock()
PURPOSE = "合同专用章"


# The contract text's font (pdf.py) is embedded in the PDF as a subset, which reportlab can do only for
# TrueType outlines: Noto CJK is CFF. AR PL UMing (明体, fonts-arphic-uming) first, WenQuanYi Micro Hei
# (fonts-wqy-microhei) after it; both are TrueType collections whose first face is the Simplified one.
TRUETYPE_CANDIDATES = (
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)


def find_font(configured: str | Path | None = None, candidates: tuple[str, ...] = FONT_CANDIDATES) -> Path | None:
    """The configured font file if it exists, else the first of `candidates` installed."""
    for candidate in ([configured] if configured else []) + list(candidates):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


@lru_cache(maxsize=4)
def _font(path: str) -> TTFont:
    with _FONT_LOCK:
        if path.lower().endswith(".ttc"):
            fonts = TTCollection(path).fonts
            return next((f for f in fonts if f["name"].getDebugName(1).endswith(" SC")), fonts[0])
        return TTFont(path)


class _PdfPen(BasePen):
    def __init__(self, glyph_set):
        super().__init__(glyph_set)
        self.ops: list[str] = []

    def _moveTo(self, p):
        self.ops.append(f"{p[0]:.1f} {p[1]:.1f} m")

    def _lineTo(self, p):
        self.ops.append(f"{p[0]:.1f} {p[1]:.1f} l")

    def _curveToOne(self, p1, p2, p3):
        self.ops.append(f"{p1[0]:.1f} {p1[1]:.1f} {p2[0]:.1f} {p2[1]:.1f} {p3[0]:.1f} {p3[1]:.1f} c")

    def _closePath(self):
        self.ops.append("h")


def _glyph(font: TTFont, char: str) -> tuple[str, float]:
    """(path operators in font units, advance width in font units)."""
    with _FONT_LOCK:
        return _glyph_locked(font, char)


def _glyph_locked(font: TTFont, char: str) -> tuple[str, float]:
    glyphs = font.getGlyphSet()
    name = font.getBestCmap().get(ord(char))
    if name is None:
        return "", float(font["head"].unitsPerEm)
    pen = _PdfPen(glyphs)
    glyphs[name].draw(pen)
    return " ".join(pen.ops), float(glyphs[name].width)


def _text_at(font: TTFont | None, text: str, *, size: float, x: float, y: float, angle: float = 0.0) -> str:
    """`text` filled left to right from (x, y) at `size` points, rotated by `angle` radians."""
    if font is None:
        return ""
    scale = size / _units_per_em(font)
    out, advance = [], 0.0
    for char in text:
        ops, width = _glyph(font, char)
        if ops:
            cos, sin = math.cos(angle), math.sin(angle)
            ox, oy = x + advance * scale * cos, y + advance * scale * sin
            out.append(f"q {cos * scale:.5f} {sin * scale:.5f} {-sin * scale:.5f} {cos * scale:.5f} "
                       f"{ox:.2f} {oy:.2f} cm {ops} f Q")
        advance += width
    return "\n".join(out)


def _width(font: TTFont | None, text: str, size: float) -> float:
    if font is None:
        return 0.0
    return sum(_glyph(font, c)[1] for c in text) * size / _units_per_em(font)


def _units_per_em(font: TTFont) -> float:
    with _FONT_LOCK:
        return float(font["head"].unitsPerEm)


def _circle(cx: float, cy: float, r: float) -> str:
    k = 0.5523 * r
    return (f"{cx + r:.2f} {cy:.2f} m {cx + r:.2f} {cy + k:.2f} {cx + k:.2f} {cy + r:.2f} {cx:.2f} {cy + r:.2f} c "
            f"{cx - k:.2f} {cy + r:.2f} {cx - r:.2f} {cy + k:.2f} {cx - r:.2f} {cy:.2f} c "
            f"{cx - r:.2f} {cy - k:.2f} {cx - k:.2f} {cy - r:.2f} {cx:.2f} {cy - r:.2f} c "
            f"{cx + k:.2f} {cy - r:.2f} {cx + r:.2f} {cy - k:.2f} {cx + r:.2f} {cy:.2f} c h")


def _star(cx: float, cy: float, r: float) -> str:
    points = []
    for i in range(10):
        radius = r if i % 2 == 0 else r * 0.382
        a = math.pi / 2 + i * math.pi / 5
        points.append((cx + radius * math.cos(a), cy + radius * math.sin(a)))
    return " ".join(f"{x:.2f} {y:.2f} {'m' if i == 0 else 'l'}" for i, (x, y) in enumerate(points)) + " h f"


def seal_imprint(unit_name: str, *, cx: float, cy: float, radius: float = 60.0, purpose: str = PURPOSE,
                 font_file: str | Path | None = None) -> str:
    """The round seal centred at (cx, cy): PDF content-stream operators."""
    path = find_font(font_file)
    font = _font(str(path)) if path else None
    if font is None:
        log.warning("no CJK font found for the seal imprint (install fonts-noto-cjk or set SEAL_FONT_FILE)")
    parts = [f"q {RED} rg {RED} RG", f"{radius * 0.045:.2f} w {_circle(cx, cy, radius * 0.96)} S",
             _star(cx, cy, radius * 0.30)]
    # the unit's name along the upper arc, clockwise from lower left to lower right, letters upright to the centre
    name = unit_name[:24]
    max_span = math.radians(215)
    size = min(radius * 0.26, max_span * 0.9 * radius / (1.05 * max(len(name), 1) + max_span))
    text_r = radius * 0.90 - size
    span = min(max_span, len(name) * size * 1.05 / text_r)
    for i, char in enumerate(name):
        a = math.pi / 2 + span / 2 - (i + 0.5) * span / len(name)  # angle of the char's centre
        rot = a - math.pi / 2  # the letter's baseline is tangent, its top toward the rim
        w = _width(font, char, size)
        bx = cx + text_r * math.cos(a) - (w / 2) * math.cos(rot)
        by = cy + text_r * math.sin(a) - (w / 2) * math.sin(rot)
        parts.append(_text_at(font, char, size=size, x=bx, y=by, angle=rot))
    psize = radius * 0.20
    parts.append(_text_at(font, purpose, size=psize, x=cx - _width(font, purpose, psize) / 2, y=cy - radius * 0.62))
    parts.append("Q")
    return "\n".join(p for p in parts if p)


def plain_text(text: str, *, x: float, y: float, size: float = 10.5, font_file: str | Path | None = None) -> str:
    """Black text (the date) as outlines."""
    path = find_font(font_file)
    font = _font(str(path)) if path else None
    return f"q 0 0 0 rg {_text_at(font, text, size=size, x=x, y=y)} Q"
