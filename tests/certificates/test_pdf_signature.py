"""Issue 17: the sealed and signed certificate PDF. The PAdES signature is checked with pyHanko's
validator against the issuer's certificate; the seal and the holder's notes are looked for in the
page's text and in its pixels (rendered with poppler's pdftoppm)."""

import io
import os
import shutil
import subprocess

import pytest
from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from certificates import pades, services
from config import ProductionConfig
from core import clock

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None and not os.environ.get("REQUIRE_PDF_TOOLS"),
                                   reason="needs pdftoppm (Debian poppler-utils)")


def issued_pdf(app, db, panel, final_results):
    with app.test_request_context():
        cert = services.issue(db.session, result=final_results[0], actor=panel["admin"], now=clock.now())
        db.session.commit()
        return cert, services.pdf_bytes(cert), pades.signer().signing_cert


def status_of(pdf: bytes, trusted):
    signature = PdfFileReader(io.BytesIO(pdf)).embedded_signatures[0]
    context = ValidationContext(trust_roots=[trusted] if trusted is not None else [])
    return signature, validate_pdf_signature(signature, context)


def test_the_pdf_carries_a_valid_pades_signature_that_one_changed_byte_breaks(app, db, panel, final_results,
                                                                               frozen_clock):
    cert, pdf, issuer_cert = issued_pdf(app, db, panel, final_results)
    signature, status = status_of(pdf, issuer_cert)
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES, not adbe.pkcs7
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage is SignatureCoverageLevel.ENTIRE_FILE
    assert status.docmdp_ok and signature.sig_object["/Name"] == cert.issuer
    # The same file checked by someone who does not trust our certificate: sound, but not trusted.
    _, untrusted = status_of(pdf, None)
    assert untrusted.intact and untrusted.valid and not untrusted.trusted and not untrusted.bottom_line
    # One byte of the page's first content stream changed: the digest no longer matches.
    at = pdf.index(b"stream", pdf.index(b"/Contents")) + 20
    changed = pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1:]
    assert len(changed) == len(pdf) and changed != pdf
    _, broken = status_of(changed, issuer_cert)
    assert not broken.intact and not broken.bottom_line


def test_the_holders_notes_and_the_query_reference_are_printed_and_configurable(app, db, panel, final_results,
                                                                                  frozen_clock):
    cert, pdf, _ = issued_pdf(app, db, panel, final_results)
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for printed in ("持证者须知", "Notes for the holder", "主管部门印章", "the authority's seal",
                    "http://localhost/verify", "工业和信息化技术技能人才数据库", "www.miiteec.org.cn",
                    "数字签名", "2026-06-01", cert.issuer):
        assert printed in text, printed
    app.config["CERTIFICATE_QUERY_NOTE"] = "证书查询：本平台 https://exam.example.cn/verify"
    with app.test_request_context():
        page = services.documents.certificate_pdf(cert, verify_url=services.verify_url(cert),
                                                  photo_folder=services.uploads.folder("photos"), signed=False)
    text = PdfReader(io.BytesIO(page)).pages[0].extract_text()
    assert "本平台 https://exam.example.cn/verify" in text and "miiteec" not in text
    assert "持证者须知" in text


def _render(pdf: bytes, tmp_path, name: str) -> Image.Image:
    (tmp_path / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "80", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)], check=True)
    return Image.open(next(tmp_path.glob(f"{name}*.png"))).convert("RGB")


def _count(image: Image.Image, box, test) -> int:
    data = image.crop(box).tobytes()
    return sum(1 for pixel in zip(data[0::3], data[1::3], data[2::3], strict=True) if test(*pixel))


def red(r, g, b):
    return r > 170 and g < 110 and b < 110


@needs_poppler
def test_the_seal_is_drawn_over_the_issue_date_or_taken_from_a_scan(app, db, panel, final_results, tmp_path,
                                                                   frozen_clock):
    cert, pdf, _ = issued_pdf(app, db, panel, final_results)
    image = _render(pdf, tmp_path, "drawn")
    # A4 landscape at 80 dpi is 935 x 661 px; the issue date sits at 148 mm from the left, 57 mm from
    # the bottom (466, 482 px): the seal's ring and star are red around it, the rest of the page is not.
    around_the_date = (440, 370, 620, 540)
    assert _count(image, around_the_date, red) > 1500
    assert _count(image, (40, 40, 420, 330), red) == 0  # the facts: no red
    artifacts = os.path.join(os.path.dirname(__file__), "..", "..", "test-artifacts")
    os.makedirs(artifacts, exist_ok=True)
    image.save(os.path.join(artifacts, "certificate-sealed.png"))
    # A scanned seal instead (here a blue disc on a transparent square).
    scan = Image.new("RGBA", (400, 400), (0, 0, 0, 0))
    scan.paste((20, 60, 220, 255), (60, 60, 340, 340))
    scan.save(tmp_path / "seal.png")
    app.config["CERTIFICATE_SEAL_IMAGE"] = str(tmp_path / "seal.png")
    with app.test_request_context():
        page = services.documents.certificate_pdf(cert, verify_url=services.verify_url(cert),
                                                  photo_folder=services.uploads.folder("photos"), signed=False)
    scanned = _render(page, tmp_path, "scanned")
    assert _count(scanned, around_the_date, red) == 0
    assert _count(scanned, around_the_date, lambda r, g, b: b > 150 and r < 120) > 1500


def test_production_signs_only_with_its_configured_pkcs12(app, db, panel, final_results, tmp_path, frozen_clock):
    with app.test_request_context():
        cert = services.issue(db.session, result=final_results[0], actor=panel["admin"], now=clock.now())
        db.session.commit()
    # Production (no demo data) with no file: a clear refusal, and no self-issued certificate made.
    app.config.update(DEMO_DATA_ALLOWED=False, CERTIFICATE_PKCS12=str(tmp_path / "missing.p12"))
    with app.test_request_context(), pytest.raises(RuntimeError, match="CERTIFICATE_PKCS12"):
        services.pdf_bytes(cert)
    assert not (tmp_path / "missing.p12").exists() and cert.pdf is None
    # The issuer's own PKCS#12 with its password: the PDF is signed with that certificate.
    own = tmp_path / "issuer.p12"
    pades.self_issue(own, password=b"s3cret-pass")
    assert oct(own.stat().st_mode & 0o777) == "0o600"
    app.config.update(CERTIFICATE_PKCS12=str(own), CERTIFICATE_PKCS12_PASSWORD="s3cret-pass")
    with app.test_request_context():
        pdf = services.pdf_bytes(cert)
        signing_cert = pades.signer().signing_cert
    _, status = status_of(pdf, signing_cert)
    assert status.bottom_line and status.signing_cert.dump() == signing_cert.dump()
    # ProductionConfig refuses to start with a file it cannot open, saying which and why.
    settings = {"SECRET_KEY": "k" * 64, "BASE_URL": "https://exam.example.cn", "CERTIFICATE_PKCS12": str(own),
                "CERTIFICATE_PKCS12_PASSWORD": "wrong"}
    with pytest.raises(RuntimeError, match="CERTIFICATE_PKCS12.*wrong password"):
        ProductionConfig.check(settings)
    with pytest.raises(RuntimeError, match="cannot be read"):
        ProductionConfig.check({**settings, "CERTIFICATE_PKCS12": str(tmp_path / "nope.p12")})
    ProductionConfig.check({**settings, "CERTIFICATE_PKCS12_PASSWORD": "s3cret-pass"})


def test_the_cli_checks_a_pdf_and_signs_the_pdfs_stored_unsigned(app, runner, db, panel, final_results, tmp_path,
                                                                  frozen_clock):
    cert, pdf, _ = issued_pdf(app, db, panel, final_results)
    good, bad = tmp_path / "good.pdf", tmp_path / "bad.pdf"
    good.write_bytes(pdf)
    at = pdf.index(b"stream", pdf.index(b"/Contents")) + 20
    bad.write_bytes(pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1:])
    result = runner.invoke(args=["certificates", "verify-pdf", str(good)])
    assert result.exit_code == 0 and "VALID" in result.output
    result = runner.invoke(args=["certificates", "verify-pdf", str(bad)])
    assert result.exit_code != 0 and "INVALID" in result.output and "changed" in result.output
    other = tmp_path / "other.p12"
    pades.self_issue(other, password=None)
    app.config["CERTIFICATE_PKCS12"] = str(other)
    pem = runner.invoke(args=["certificates", "pdf-signing-cert"]).output
    assert pem.startswith("-----BEGIN CERTIFICATE-----")
    (tmp_path / "other.pem").write_text(pem)
    result = runner.invoke(args=["certificates", "verify-pdf", str(good), "--trust", str(tmp_path / "other.pem")])
    assert result.exit_code != 0 and "not among the trusted" in result.output
    # A PDF stored before the PDFs were signed (the page alone) is sealed and signed once.
    with app.test_request_context():
        stored = services.uploads.folder(services.PDF_FOLDER) / cert.pdf
        stored.write_bytes(services.documents.certificate_pdf(cert, verify_url=services.verify_url(cert),
                                                              photo_folder=services.uploads.folder("photos"),
                                                              signed=False))
    assert not pades.is_signed(stored.read_bytes())
    result = runner.invoke(args=["certificates", "sign-stored"])
    assert result.exit_code == 0 and "1 certificate PDF(s)" in result.output
    assert pades.is_signed(stored.read_bytes())
    assert "0 certificate PDF(s)" in runner.invoke(args=["certificates", "sign-stored"]).output


@pytest.mark.skipif(shutil.which("pdfsig") is None and not os.environ.get("REQUIRE_PDF_TOOLS"),
                    reason="needs pdfsig (Debian poppler-utils)")
def test_another_reader_sees_the_signature_valid_and_the_changed_file_not(app, db, panel, final_results, tmp_path,
                                                                           frozen_clock):
    """poppler's pdfsig (NSS, not pyHanko): what a PDF reader shows in its signature panel."""
    _, pdf, _ = issued_pdf(app, db, panel, final_results)
    (tmp_path / "good.pdf").write_bytes(pdf)
    at = pdf.index(b"stream", pdf.index(b"/Contents")) + 20
    (tmp_path / "bad.pdf").write_bytes(pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1:])
    good = subprocess.run(["pdfsig", str(tmp_path / "good.pdf")], capture_output=True, text=True).stdout
    assert "ETSI.CAdES.detached" in good and "Total document signed" in good and "Signature is Valid" in good
    bad = subprocess.run(["pdfsig", str(tmp_path / "bad.pdf")], capture_output=True, text=True).stdout
    assert "Digest Mismatch" in bad and "Signature is Valid" not in bad
