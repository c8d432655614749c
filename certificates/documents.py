"""The certificate as an A4 PDF in the holder's language (Chinese, with the English beside it):
the facts, the photo, the QR code, the issuer's seal over the issue date, the holder's notes
(持证者须知, seed 002 2.3) with the national query reference (2.4), and the issuer's PAdES
signature (certificates/pades.py). The page is rendered deterministically (reportlab's invariant
mode); the signature, with its time, is appended as an incremental update, and the file is stored
once, so a re-download is the same file.

The seal is drawn from the issuer's name (a red ring, the name along the arc, a star), printed
semi-transparent over the issue date; CERTIFICATE_SEAL_IMAGE (a PNG, transparent around the seal)
replaces it with a scanned seal. CERTIFICATE_QUERY_NOTE replaces the national query reference."""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen import canvas

from certificates import pades
from core import i18n
from core.pdf import cjk_font, qr_image, wrap

NAVY = HexColor("#12406b")
GOLD = HexColor("#b08d3c")
SEAL_RED = HexColor("#d0201c")
SEAL_ALPHA = 0.78  # the date under the seal stays readable

NOTES_HEADING = _l("Notes for the holder")
NOTES = (
    _l("Keep this certificate yourself: do not fill in or change any of its entries, and do not lend it to "
       "anyone."),
    _l("Without the holder's photo and the authority's seal, this certificate is not valid."),
    _l("To check it, scan the QR code, or enter its number and the holder's name at %(url)s. This file carries "
       "the issuer's digital signature: any change to it breaks the signature."),
)
QUERY_NOTE = _l("National records: the holder's details are entered in the MIIT database of technical and "
                "skilled personnel; look them up on the website of the MIIT Center for Education and "
                "Examination, www.miiteec.org.cn.")
SIGNATURE_REASON = _l("Certificate %(number)s issued")


def bilingual(message, **values) -> tuple[str, str]:
    """A translatable message in Chinese and in English, whatever the request's language."""
    out = []
    for locale in ("zh_Hans_CN", "en"):
        with force_locale(locale):
            text = str(message)
        out.append(text % values if values else text)
    return out[0], out[1]


def certificate_pdf(certificate, *, verify_url: str, photo_folder: Path, signed: bool = True) -> bytes:
    """The certificate's PDF, signed by the issuer (`signed=False`: the page alone)."""
    page = _page(certificate, verify_url=verify_url, photo_folder=photo_folder)
    if not signed:
        return page
    zh, en = bilingual(SIGNATURE_REASON, number=certificate.number)
    return pades.sign(page, name=certificate.issuer, reason=f"{zh} / {en}", contact=_lookup_url())


def _lookup_url() -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/verify"


def _page(certificate, *, verify_url: str, photo_folder: Path) -> bytes:
    font = cjk_font()
    width, height = landscape(A4)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=landscape(A4), invariant=1)
    c.setTitle(f"{certificate.number} {certificate.holder_name}")
    c.setAuthor(certificate.issuer)
    c.setStrokeColor(GOLD)
    c.setLineWidth(3)
    c.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
    c.setLineWidth(0.8)
    c.rect(13 * mm, 13 * mm, width - 26 * mm, height - 26 * mm)
    competence = certificate.kind.value == "competence"
    c.setFillColor(NAVY)
    c.setFont(font, 30)
    c.drawCentredString(width / 2, height - 40 * mm, "职业能力证书" if competence else "获奖证书")
    c.setFont(font, 12)
    c.drawCentredString(width / 2, height - 49 * mm,
                        "Vocational Competence Certificate" if competence else "Certificate of Award")
    left = 40 * mm
    y = height - 68 * mm
    lines = [
        ("姓名 Name", certificate.holder_name),
        ("身份证号 ID number", certificate.masked_id),
        ("职业技能 Skill", f"{certificate.skill}"),
        ("等级 Level" if competence else "奖项 Award", f"{certificate.title}  {certificate.title_en}"),
        ("证书编号 Number", certificate.number),
    ]
    if certificate.expires_at:
        lines.append(("有效期至 Valid until", i18n.utc_to_local(certificate.expires_at).strftime("%Y-%m-%d")))
    if certificate.scores and competence:
        s = certificate.scores
        lines.append(("成绩 Scores", f"理论 {s['theory']} · 实操 {s['practical']}"))
    for label, value in lines:
        c.setFont(font, 10)
        c.setFillColor(HexColor("#555555"))
        c.drawString(left, y, label)
        c.setFont(font, 15 if label.startswith("姓名") else 13)
        c.setFillColor(HexColor("#111111"))
        c.drawString(left + 45 * mm, y, value)
        y -= 10 * mm
    # The issuer and the date, the seal over them.
    block = 148 * mm
    c.setFont(font, 10)
    c.setFillColor(HexColor("#555555"))
    c.drawString(block, 80 * mm, "发证机构 Issuer")
    c.drawString(block, 64 * mm, "发证日期 Issued")
    c.setFillColor(HexColor("#111111"))
    c.setFont(font, 11)
    c.drawString(block, 73 * mm, certificate.issuer)
    c.setFont(font, 13)
    c.drawString(block, 57 * mm, i18n.utc_to_local(certificate.issued_at).strftime("%Y-%m-%d"))
    photo = photo_folder / certificate.photo if certificate.photo else None
    if photo is not None and photo.exists():
        c.drawImage(ImageReader(str(photo)), width - 80 * mm, height - 118 * mm, 35 * mm, 49 * mm)
    c.drawImage(qr_image(verify_url), width - 82 * mm, 24 * mm, 38 * mm, 38 * mm)
    c.setFont(font, 8)
    c.drawCentredString(width - 63 * mm, 20 * mm, "扫码验证 Scan to verify")
    _notes(c, font, top=45 * mm, left=20 * mm, right=width - 88 * mm)
    seal(c, certificate.issuer, centre=(block + 20 * mm, 63 * mm), radius=21 * mm, font=font)
    c.showPage()
    c.save()
    return buf.getvalue()


def _notes(c: canvas.Canvas, font: str, *, top: float, left: float, right: float) -> None:
    """持证者须知 under the facts: each note in Chinese, then in English, numbered."""
    zh, en = bilingual(NOTES_HEADING)
    c.setFillColor(NAVY)
    c.setFont(font, 8.5)
    c.drawString(left, top, f"{zh}  {en}")
    notes = [bilingual(note, url=_lookup_url()) if "%(url)s" in str(note) else bilingual(note) for note in NOTES]
    configured = (current_app.config.get("CERTIFICATE_QUERY_NOTE") or "").strip()
    notes.append((configured, "") if configured else bilingual(QUERY_NOTE))
    c.setFillColor(HexColor("#333333"))
    y, size, step, indent = top - 4.2 * mm, 6.4, 2.85 * mm, 3.5 * mm
    for number, (chinese, english) in enumerate(notes, start=1):
        c.setFont(font, size)
        c.drawString(left, y, f"{number}.")
        for text in (chinese, english):
            for line in _wrap_words(text, font, size, right - left - indent) if text else ():
                c.drawString(left + indent, y, line)
                y -= step


def _wrap_words(text: str, font: str, size: float, width: float) -> list[str]:
    """Lines no wider than `width`: English breaks between words, Chinese between any two
    characters (core.pdf.wrap), a URL only where it has to."""
    lines, line = [], ""
    for token in re.findall(r"\S+\s*", text):
        if pdfmetrics.stringWidth((line + token).rstrip(), font, size) <= width:
            line += token
            continue
        if line and pdfmetrics.stringWidth(token.rstrip(), font, size) <= width and token.isascii():
            lines.append(line.rstrip())
            line = token
            continue
        *full, line = wrap(line + token, font, size, width)  # a long Chinese run: break it anywhere
        lines.extend(full)
    if line.strip():
        lines.append(line.rstrip())
    return lines


def seal(c: canvas.Canvas, issuer: str, *, centre: tuple[float, float], radius: float, font: str) -> None:
    """The issuer's round seal, semi-transparent: the configured scan (CERTIFICATE_SEAL_IMAGE), or
    a red ring with the issuer's name along its upper arc and a five-pointed star."""
    cx, cy = centre
    c.saveState()
    c.setFillAlpha(SEAL_ALPHA)
    c.setStrokeAlpha(SEAL_ALPHA)
    image = current_app.config.get("CERTIFICATE_SEAL_IMAGE")
    if image:
        path = Path(image)
        if not path.is_file():
            raise RuntimeError(f"the seal image {path} (CERTIFICATE_SEAL_IMAGE) does not exist")
        c.drawImage(ImageReader(str(path)), cx - radius, cy - radius, 2 * radius, 2 * radius, mask="auto",
                    preserveAspectRatio=True, anchor="c")
        c.restoreState()
        return
    c.setStrokeColor(SEAL_RED)
    c.setFillColor(SEAL_RED)
    ring = radius * 0.07
    c.setLineWidth(ring)
    c.circle(cx, cy, radius - ring / 2, stroke=1, fill=0)
    _star(c, cx, cy, radius * 0.30)
    _arc_text(c, issuer.strip(), cx, cy, radius - ring * 2.2, font)
    c.restoreState()


def _star(c: canvas.Canvas, cx: float, cy: float, outer: float) -> None:
    inner = outer * 0.382
    path = c.beginPath()
    for i in range(10):
        r = outer if i % 2 == 0 else inner
        angle = math.radians(90 + 36 * i)
        x, y = cx + r * math.cos(angle), cy + r * math.sin(angle)
        path.moveTo(x, y) if i == 0 else path.lineTo(x, y)
    path.close()
    c.drawPath(path, stroke=0, fill=1)


def _arc_text(c: canvas.Canvas, text: str, cx: float, cy: float, outer: float, font: str) -> None:
    """`text` clockwise along the upper arc inside the ring, each glyph upright towards the rim and
    condensed, as seals cut them; smaller type for a long name, so that it never runs past 270
    degrees."""
    if not text:
        return
    condense, size, span = 0.72, outer * 0.34, math.radians(270)
    for _ in range(3):  # the glyphs sit on a radius that depends on their size: settle it
        baseline = outer - size * 0.88
        widths = [pdfmetrics.stringWidth(char, font, size) * condense * 1.1 for char in text]
        total = sum(widths) / baseline
        if total <= span:
            break
        size *= span / total
    angle = math.pi / 2 + total / 2
    c.setFont(font, size)
    for char, advance in zip(text, widths, strict=True):
        step = advance / baseline
        middle = angle - step / 2
        c.saveState()
        c.translate(cx + baseline * math.cos(middle), cy + baseline * math.sin(middle))
        c.rotate(math.degrees(middle) - 90)
        c.scale(condense, 1)
        c.drawCentredString(0, 0, char)
        c.restoreState()
        angle -= step
