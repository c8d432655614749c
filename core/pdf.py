"""PDF building blocks shared by tickets, forms and certificates: a CJK font that renders in every
viewer, QR codes, photos.

The font: the first TrueType CJK font found (Debian's fonts-wqy-zenhei, which .ci/run installs,
or the path in PDF_CJK_FONT) is embedded, subset, in the PDF, so every viewer shows the Chinese.
Without one, reportlab's built-in CID font STSong-Light is used: it needs no file, but a viewer
without Adobe's Asian font pack may substitute it."""

from __future__ import annotations

import io
import os
from functools import lru_cache
from pathlib import Path

import qrcode
from reportlab import rl_config
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont

CANDIDATES = [
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
]
FONT = "CJK"

# Streams are Flate-compressed only: the default ASCII85 layer on top adds a quarter to the size and
# is pure Python in reportlab 4, the larger part of a certificate's render time (photo, QR code).
rl_config.useA85 = 0


@lru_cache(maxsize=1)
def cjk_font() -> str:
    """Register and return the name of the CJK font used in every PDF."""
    paths = [os.environ.get("PDF_CJK_FONT", ""), *CANDIDATES]
    for path in paths:
        if path and Path(path).exists():
            try:
                pdfmetrics.registerFont(TTFont(FONT, path, subfontIndex=0))
                return FONT
            except Exception:  # not a TrueType-outline font: try the next one  # noqa: BLE001
                continue
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return "STSong-Light"


def font_is_embedded() -> bool:
    return cjk_font() == FONT


def qr_image(data: str, *, box: int = 8) -> ImageReader:
    # A fixed mask: any of the eight is valid for every reader; trying all eight to score them was
    # most of a certificate's render time (a batch renders thousands).
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=box, border=2, mask_pattern=4)
    code.add_data(data)
    code.make(fit=True)
    buf = io.BytesIO()
    code.make_image(fill_color="black", back_color="white").save(buf, format="PNG")
    buf.seek(0)
    return ImageReader(buf)


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines of `text` no wider than `width`, breaking between any two characters where needed:
    Chinese has no spaces to break at."""
    lines: list[str] = []
    for paragraph in (text or "").splitlines() or [""]:
        line, used = "", 0.0  # the line's width, summed a character at a time (reportlab does not kern)
        for char in paragraph:
            advance = pdfmetrics.stringWidth(char, font, size)
            if used + advance > width and line:
                lines.append(line)
                line = char.lstrip()
                used = advance if line else 0.0
            else:
                line += char
                used += advance
        lines.append(line)
    return lines
