"""The certificate as an A4 PDF in the holder's language (Chinese, with the English beside it),
rendered deterministically (reportlab's invariant mode) so a re-download is the same file."""

from __future__ import annotations

import io
from pathlib import Path

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen import canvas

from core.pdf import cjk_font, qr_image

NAVY = HexColor("#12406b")
GOLD = HexColor("#b08d3c")


def certificate_pdf(certificate, *, verify_url: str, photo_folder: Path) -> bytes:
    font = cjk_font()
    width, height = landscape(A4)
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=landscape(A4), invariant=1)
    c.setTitle(f"{certificate.number} {certificate.holder_name}")
    c.setStrokeColor(GOLD)
    c.setLineWidth(3)
    c.rect(10 * mm, 10 * mm, width - 20 * mm, height - 20 * mm)
    c.setLineWidth(0.8)
    c.rect(13 * mm, 13 * mm, width - 26 * mm, height - 26 * mm)
    competence = certificate.kind.value == "competence"
    c.setFillColor(NAVY)
    c.setFont(font, 30)
    c.drawCentredString(width / 2, height - 42 * mm, "职业能力证书" if competence else "获奖证书")
    c.setFont(font, 12)
    c.drawCentredString(width / 2, height - 51 * mm,
                        "Vocational Competence Certificate" if competence else "Certificate of Award")
    c.setFillColor(HexColor("#222222"))
    left = 40 * mm
    y = height - 72 * mm
    lines = [
        ("姓名 Name", certificate.holder_name),
        ("身份证号 ID number", certificate.masked_id),
        ("职业技能 Skill", f"{certificate.skill}"),
        ("等级 Level" if competence else "奖项 Award", f"{certificate.title}  {certificate.title_en}"),
        ("证书编号 Number", certificate.number),
        ("发证日期 Issued", certificate.issued_at.strftime("%Y-%m-%d")),
    ]
    if certificate.expires_at:
        lines.append(("有效期至 Valid until", certificate.expires_at.strftime("%Y-%m-%d")))
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
        y -= 11 * mm
    c.setFont(font, 11)
    c.drawString(left, 30 * mm, f"发证机构 Issuer：{certificate.issuer}")
    photo = photo_folder / certificate.photo if certificate.photo else None
    if photo is not None and photo.exists():
        c.drawImage(ImageReader(str(photo)), width - 80 * mm, height - 118 * mm, 35 * mm, 49 * mm)
    c.drawImage(qr_image(verify_url), width - 82 * mm, 24 * mm, 38 * mm, 38 * mm)
    c.setFont(font, 8)
    c.drawCentredString(width - 63 * mm, 20 * mm, "扫码验证 Scan to verify")
    c.showPage()
    c.save()
    return buf.getvalue()
