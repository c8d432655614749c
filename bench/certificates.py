"""Certificate issuing benchmark, against the issue's targets: "certificate PDFs at 25 ms or less
each, 3,000 in a batch within 60 s".

    .venv/bin/python bench/certificates.py [--count 3000]

On a throwaway SQLite database and upload folder, through the application's own code:
1. seed two certification events, each with N approved registrations (a generated photo stored the
   way the registration form stores it) and N final, passing results;
2. the batch (first event): start_batch, then the scheduled job certificates.run_batches run the way
   the scheduler runs it (a claimed slot, one commit per run) until the batch is finished;
3. render: the certificate document function once more on every certificate the batch issued;
4. the plain loop (second event): issue() + pdf_bytes() for each result, one commit: the pure cost;
5. a cProfile of 50 renders, and checks that sample PDFs are real (pypdf; a QR code decoded with
   pdftoppm and zxing-cpp).
A markdown report goes to bench/results/certificates.md.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import io
import math
import os
import platform
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
PASSWORD = "Bench-pass-2026"
JOB = "certificates.run_batches"
TARGET_MS = 25
TARGET_BATCH = 3000
TARGET_BATCH_S = 60
QR_MASK_SEARCH = "  of which qrcode's search for the best mask"
SURNAMES = "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 欧阳 司马".split()
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国玉兰志红海燕"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def summary(values_ms: list[float]) -> tuple[float, float, float]:
    """(median, p95, max) of a list of milliseconds."""
    if len(values_ms) < 2:
        return (values_ms[0],) * 3 if values_ms else (math.nan,) * 3
    return statistics.median(values_ms), statistics.quantiles(values_ms, n=100)[94], max(values_ms)


def fmt(triple: tuple[float, float, float]) -> str:
    return " / ".join(f"{v:.1f}" for v in triple)


@contextlib.contextmanager
def timing_of(module, *names: str):
    """Wrap module-level functions to add up their wall time (the job calls them by module global);
    yields {name: [seconds, ...]} and restores the originals."""
    spent: dict[str, list[float]] = {name: [] for name in names}
    originals = {name: getattr(module, name) for name in names}

    def wrap(name, func):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent[name].append(time.perf_counter() - start)
        return timed

    for name, func in originals.items():
        setattr(module, name, wrap(name, func))
    try:
        yield spent
    finally:
        for name, func in originals.items():
            setattr(module, name, func)


# --- seeding -------------------------------------------------------------------------------------


def photo_bases(count: int = 8) -> list:
    """Textured backgrounds, so that stored portraits compress like real photos (tens of KB)."""
    from PIL import Image

    size = (450, 600)
    gradient = Image.linear_gradient("L").resize(size).convert("RGB")
    return [Image.blend(gradient, Image.effect_noise(size, 30 + 4 * n).convert("RGB"), 0.25) for n in range(count)]


def photo_bytes(n: int, bases: list) -> bytes:
    """A distinct JPEG portrait per candidate (a face and shoulders on a textured background)."""
    from PIL import ImageDraw

    rnd = random.Random(n)
    image = bases[n % len(bases)].copy()
    draw = ImageDraw.Draw(image)
    skin = (rnd.randint(170, 235), rnd.randint(130, 200), rnd.randint(100, 170))
    dx, dy = rnd.randint(-20, 20), rnd.randint(-20, 20)
    draw.rectangle((60 + dx, 430 + dy, 390 + dx, 600), fill=(rnd.randint(0, 90), rnd.randint(0, 90), 120))
    draw.ellipse((140 + dx, 120 + dy, 310 + dx, 350 + dy), fill=skin)
    draw.ellipse((185 + dx, 200 + dy, 200 + dx, 212 + dy), fill=(20, 20, 20))
    draw.ellipse((250 + dx, 200 + dy, 265 + dx, 212 + dy), fill=(20, 20, 20))
    buf = io.BytesIO()
    image.save(buf, format="JPEG", quality=88)
    return buf.getvalue()


def form(n: int, event_no: int) -> dict:
    from registration import rules as reg_rules

    rnd = random.Random(event_no * 1_000_003 + n)
    born = date(1975, 1, 1) + timedelta(days=n % 9000)
    male = n % 2 == 0
    body = f"440305{born:%Y%m%d}{(n // 9000) % 100:02d}{'3' if male else '4'}"
    name = rnd.choice(SURNAMES) + "".join(rnd.choice(GIVEN) for _ in range(rnd.choice((1, 2, 2))))
    return {"full_name": name, "gender": "male" if male else "female", "birth_date": born,
            "education": "vocational", "title": "运维工程师", "employer": "广州某智能制造有限公司",
            "phone": f"138{event_no}{n:07d}", "address": "广州市番禺区", "email": f"c{event_no}-{n}@example.com",
            "id_number": body + reg_rules.id_check_character(body), "resume": "2019-2022 就读于高职院校",
            "training_history": "2025 年参加中级培训", "group": None}


def seed(app, count: int) -> dict:
    """Two events with `count` approved registrations each (the registration services: form, photo,
    submit, centre approval, approval) and final passing results (written as compute() and
    finalise() write them; the exam and scoring that would produce the scores are not simulated)."""
    from accounts import services as accounts
    from accounts.models import Role
    from certificates import results as result_services
    from certificates import rules
    from certificates.models import Result, ResultStatus
    from core import clock
    from core.extensions import db
    from question_bank.models import Level
    from registration import services as reg
    from registration.models import Education, EventKind

    session = db.session
    now = clock.now()
    admin = accounts.create_user(session, username="benchadmin", full_name="项目中心管理员", role=Role.ADMIN,
                                 password=PASSWORD)
    staff = []
    for c in range(max(1, math.ceil(count / 300))):
        centre = accounts.save_centre(session, centre=None, code=f"BC{c:02d}", name=f"第{c + 1}培训中心",
                                      contact_name="", phone="", address="", active=True)
        staff.append(accounts.create_user(session, username=f"benchstaff{c}", full_name=f"中心{c}",
                                          role=Role.CENTRE_STAFF, password=PASSWORD, centre=centre))
    session.commit()
    bases = photo_bases()
    events = []
    for event_no, code in ((1, "BENCHB"), (2, "BENCHL")):
        event = reg.save_event(session, event=None, actor=admin, fields={
            "code": code, "name": f"2026 工业互联网系统运维（中级）认证 · {code}", "kind": EventKind.CERTIFICATION,
            "level": Level.INTERMEDIATE, "groups": [], "registration_opens": now - timedelta(days=1),
            "registration_closes": now + timedelta(days=30), "minimum_education": Education.HIGH_SCHOOL,
            "require_full_hours": False, "correction_days": 5})
        reg.add_session(session, event=event, name="第一场", starts_at=now + timedelta(days=40),
                        ends_at=now + timedelta(days=40, hours=2), site="广州实训基地", address="广州市天河区",
                        seats=count, actor=admin)
        people = []
        for n in range(count):
            centre_staff = staff[n % len(staff)]
            r = reg.save_registration(session, registration=None, event=event, centre=centre_staff.centre,
                                      data=form(n, event_no), photo=photo_bytes(event_no * count + n, bases),
                                      user=centre_staff, now=now)
            for action, user in (("submit", centre_staff), ("centre_approve", centre_staff), ("approve", admin)):
                reg.act(session, registration=r, action=action, user=user, now=now)
            people.append(r)
            if n % 200 == 199:
                session.commit()
                log(f"seeded {code}: {n + 1}/{count} registrations")
        rule = result_services.rule_of(session, event)
        spec = rules.Rule(event.kind.value, rule.theory_weight, rule.practical_weight, rule.theory_pass,
                          rule.practical_pass)
        rnd = random.Random(event_no)
        rows = []
        for r in people:
            combined = rules.combine(spec, theory=Decimal(rnd.randint(6000, 10000)) / 100,
                                     practical=Decimal(rnd.randint(6000, 10000)) / 100)
            assert combined.passed
            row = Result(event_id=event.id, registration_id=r.id, theory=combined.theory,
                         practical=combined.practical, total=combined.total, passed=True, status=ResultStatus.FINAL,
                         computed_at=now, final_at=now)
            r.theory_score, r.practical_score = combined.theory, combined.practical
            session.add(row)
            rows.append(row)
        ranked = rules.rank([rules.Entry(str(row.registration_id), row.total, row.theory, row.practical)
                             for row in rows], [p.strip() for p in rule.tie_break.split(",")])
        by_key = {str(row.registration_id): row for row in rows}
        for entry, position in ranked:
            by_key[entry.key].rank = position
        session.commit()
        events.append(event.id)
    return {"admin": admin.id, "batch_event": events[0], "loop_event": events[1]}


# --- the phases ----------------------------------------------------------------------------------


def run_batch(app, ids: dict) -> dict:
    """start_batch (as the admin page does, one commit), then the job as the scheduler runs it:
    run_job with the next slot (the claim and the work commit together), until the batch is finished."""
    from sqlalchemy import select

    from accounts.models import User
    from certificates import services
    from certificates.models import IssueBatch
    from core import clock
    from core.extensions import db, scheduler
    from registration.models import Event

    with app.app_context():
        start = time.perf_counter()
        batch = services.start_batch(db.session, event=db.session.get(Event, ids["batch_event"]),
                                     actor=db.session.get(User, ids["admin"]), now=clock.now())
        db.session.commit()
        start_seconds = time.perf_counter() - start
        batch_id, total = batch.id, batch.total
        db.session.remove()
    slot = scheduler.slot(JOB, clock.now())
    runs: list[dict] = []
    wall_start = time.perf_counter()
    while True:
        with timing_of(services, "issue", "pdf_bytes") as spent:
            started, cpu = time.perf_counter(), time.process_time()
            returned = scheduler.run_job(app, JOB, slot=slot + len(runs))
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        runs.append({"issued": returned, "seconds": seconds, "cpu": cpu, "issue": sum(spent["issue"]),
                     "pdf": sum(spent["pdf_bytes"])})
        with app.app_context():
            batch = db.session.get(IssueBatch, batch_id)
            finished, done, final_total = batch.finished_at is not None, batch.done, batch.total
            db.session.remove()
        if len(runs) % 10 == 0 or finished:
            log(f"batch: run {len(runs)}, {done}/{final_total} done, last run {seconds:.2f} s")
        if finished or not isinstance(returned, int) or (returned == 0 and len(runs) > 1):
            break
    wall = time.perf_counter() - wall_start
    with app.app_context():
        stale = db.session.scalar(select(IssueBatch.id).where(IssueBatch.finished_at.is_(None)))
        db.session.remove()
    return {"start_seconds": start_seconds, "total": total, "final_total": final_total, "done": done,
            "finished": finished, "runs": runs, "wall": wall, "stale": stale}


def render_all(app, event_id: int) -> dict:
    """The document function (render and sign) on every certificate of the event (the URL built
    outside the timing); the page, rendered again untimed, compared with the first revision of the
    PDF stored at issue time (the docstring promises identical pages)."""
    from sqlalchemy import select

    from certificates import documents, services
    from certificates.models import Certificate
    from core import uploads
    from core.extensions import db

    with app.app_context():
        certificates = db.session.scalars(select(Certificate).filter_by(event_id=event_id)
                                          .order_by(Certificate.id)).all()
        photos, stored = uploads.folder("photos"), uploads.folder(services.PDF_FOLDER)
        times, cpu, sizes, identical = [], [], [], 0
        for certificate in certificates:
            url = services.verify_url(certificate)
            start, start_cpu = time.perf_counter(), time.process_time()
            data = documents.certificate_pdf(certificate, verify_url=url, photo_folder=photos)
            times.append((time.perf_counter() - start) * 1000)
            cpu.append((time.process_time() - start_cpu) * 1000)
            sizes.append(len(data))
            # The signature (its time) differs per signing; the page it signs is the stored file's
            # first revision, rendered the same every time.
            page = documents.certificate_pdf(certificate, verify_url=url, photo_folder=photos, signed=False)
            identical += certificate.pdf is not None and (stored / certificate.pdf).read_bytes().startswith(page)
        db.session.remove()
    return {"times": times, "cpu": cpu, "sizes": sizes, "identical": identical, "count": len(certificates)}


def plain_loop(app, ids: dict) -> dict:
    """issue() + pdf_bytes() for every final result of the event, in one session, one commit."""
    from sqlalchemy import select

    from accounts.models import User
    from certificates import services
    from certificates.models import Result, ResultStatus
    from core import clock
    from core.extensions import db

    with app.app_context():
        session = db.session
        admin = session.get(User, ids["admin"])
        results = session.scalars(select(Result).filter_by(event_id=ids["loop_event"], status=ResultStatus.FINAL)
                                  .order_by(Result.id)).all()
        issue_ms, pdf_ms = [], []
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        for n, result in enumerate(results, 1):
            t0 = time.perf_counter()
            certificate = services.issue(session, result=result, actor=admin, now=clock.now())
            t1 = time.perf_counter()
            services.pdf_bytes(certificate)
            t2 = time.perf_counter()
            issue_ms.append((t1 - t0) * 1000)
            pdf_ms.append((t2 - t1) * 1000)
            if n % 500 == 0:
                log(f"plain loop: {n}/{len(results)}")
        t0 = time.perf_counter()
        session.commit()
        commit = time.perf_counter() - t0
        wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
        session.remove()
    return {"issue": issue_ms, "pdf": pdf_ms, "commit": commit, "wall": wall, "cpu": cpu, "count": len(results)}


def profile_renders(app, event_id: int, count: int) -> dict:
    from sqlalchemy import select

    from certificates import documents, services
    from certificates.models import Certificate
    from core import uploads
    from core.extensions import db

    with app.app_context():
        certificates = db.session.scalars(select(Certificate).filter_by(event_id=event_id)
                                          .order_by(Certificate.id).limit(count)).all()
        photos = uploads.folder("photos")
        urls = [services.verify_url(c) for c in certificates]
        profiler = cProfile.Profile()
        profiler.enable()
        for certificate, url in zip(certificates, urls, strict=True):
            documents.certificate_pdf(certificate, verify_url=url, photo_folder=photos)
        profiler.disable()
        db.session.remove()
    stats = pstats.Stats(profiler)
    total = stats.total_tt
    rows = []
    for (filename, line, name), (_cc, calls, own, cumulative, _callers) in stats.stats.items():
        where = filename
        for marker in ("site-packages/", str(ROOT) + "/"):
            if marker in where:
                where = where.split(marker, 1)[1]
        rows.append({"name": f"{where}:{line}({name})" if line else name, "func": name, "file": filename,
                     "calls": calls, "own": own, "cum": cumulative})

    def cum(predicate) -> float:
        return max((r["cum"] for r in rows if predicate(r)), default=0.0)

    buckets = {
        "images ASCII85-encoded in pure Python": cum(lambda r: r["func"] == "_py_asciiBase85Encode"),
        "QR code (core.pdf.qr_image: qrcode and its PNG)": cum(lambda r: r["func"] == "qr_image"),
        QR_MASK_SEARCH: cum(lambda r: r["func"] == "best_mask_pattern"),
        "placing the photo and the QR image (canvas.drawImage)": cum(lambda r: r["func"] == "drawImage"),
        "zlib compression": cum(lambda r: r["func"] == "<built-in method zlib.compress>"),
        "canvas.save (PDF objects, font subset)": cum(lambda r: r["func"] == "save" and "canvas.py" in r["file"]),
        "  of which the font subset (ttfonts makeSubset)": cum(lambda r: r["func"] == "makeSubset"),
    }
    top_cum: list[dict] = []
    for r in sorted(rows, key=lambda r: -r["cum"]):
        if r["func"] in ("certificate_pdf", "<method 'disable' of '_lsprof.Profiler' objects>"):
            continue
        if top_cum and abs(top_cum[-1]["cum"] - r["cum"]) < 0.01 * total:
            continue  # a wrapper's callee with the same time (save → SaveToFile → GetPDFData): keep the outer
        top_cum.append(r)
    top_cum = top_cum[:5]
    top_own = sorted(rows, key=lambda r: -r["own"])[:5]
    return {"count": len(certificates), "total": total, "top_cum": top_cum, "top_own": top_own, "buckets": buckets}


def verify_sample(app, event_id: int) -> list[str]:
    """Three stored PDFs opened with pypdf (one page, the number and holder in the text, two images);
    one QR code rendered with pdftoppm and decoded with zxing-cpp, then resolved like the verify page."""
    from sqlalchemy import func, select

    from certificates import services
    from certificates.models import Certificate
    from core import uploads
    from core.extensions import db

    notes = []
    with app.app_context():
        session = db.session
        ids = session.scalars(select(Certificate.id).filter_by(event_id=event_id).order_by(Certificate.id)).all()
        if not ids:
            return ["no certificate was issued: nothing to check"]
        sample = [session.get(Certificate, i) for i in sorted({ids[0], ids[len(ids) // 2], ids[-1]})]
        folder = uploads.folder(services.PDF_FOLDER)
        try:
            from pypdf import PdfReader
        except ImportError:
            PdfReader = None  # noqa: N806
        for certificate in sample:
            path = folder / (certificate.pdf or "missing")
            data = path.read_bytes() if path.exists() else b""
            line = f"{certificate.number}: {len(data) / 1024:.0f} KB, header {data[:5]!r}"
            if PdfReader is not None and data:
                reader = PdfReader(io.BytesIO(data))
                page = reader.pages[0]
                text = page.extract_text() or ""
                images = len(page["/Resources"].get("/XObject", {}))
                line += (f", {len(reader.pages)} page(s), {images} image(s), number in text: "
                         f"{certificate.number in text}, holder in text: {certificate.holder_name in text}")
            notes.append(line)
        if PdfReader is None:
            notes.append("pypdf is not installed: checked only the %PDF header and size")
        pdftoppm = shutil.which("pdftoppm")
        try:
            import zxingcpp
            from PIL import Image
        except ImportError:
            zxingcpp = None
        if pdftoppm is None or zxingcpp is None:
            notes.append("QR not decoded: needs pdftoppm (poppler-utils) and zxing-cpp")
        else:
            certificate = sample[0]
            with tempfile.TemporaryDirectory() as tmp:
                subprocess.run([pdftoppm, "-png", "-r", "150", "-f", "1", "-l", "1",
                                str(folder / certificate.pdf), str(Path(tmp) / "page")], check=True)
                page = next(Path(tmp).glob("page*.png"))
                codes = zxingcpp.read_barcodes(Image.open(page))
            url = codes[0].text if codes else ""
            found = services.by_token(session, url.rsplit("/", 1)[-1]) if url else None
            notes.append(f"QR of {certificate.number} decoded: {bool(url)}; it is the certificate's verify URL: "
                         f"{url == services.verify_url(certificate)}; the token resolves to this certificate: "
                         f"{found is not None and found.id == certificate.id}")
        photos = session.scalar(select(func.count(func.distinct(Certificate.photo)))
                                .where(Certificate.event_id == event_id))
        sizes = [p.stat().st_size for p in uploads.folder("photos").iterdir()]
        notes.append(f"{photos} distinct photos on {len(ids)} certificates; stored portraits "
                     f"{min(sizes) / 1024:.0f}-{max(sizes) / 1024:.0f} KB")
        db.session.remove()
    return notes


# --- the report ----------------------------------------------------------------------------------


def code_version() -> str:
    """The commit measured, and whether the files that matter had uncommitted changes."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "certificates", "core", "config.py"],
                               cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + (" with uncommitted changes in certificates/, core/ or config.py" if dirty else "")


def report(args, facts: dict) -> str:
    from reportlab import Version as reportlab_version
    from reportlab import rl_config
    from reportlab.lib import rl_accel

    from certificates import services

    n = args.count
    chunk, budget, interval = facts["chunk"], facts["budget"], facts["interval"]
    batch, render, loop, prof = facts["batch"], facts["render"], facts["loop"], facts["profile"]
    runs = batch["runs"]
    run_seconds = [r["seconds"] for r in runs]
    per_run = [r["issued"] for r in runs if isinstance(r["issued"], int)]
    job_seconds = sum(run_seconds)
    job_cpu = sum(r["cpu"] for r in runs)
    wait = len(runs) * interval
    # A run longer than the interval makes the scheduler skip firings (max_instances=1, coalesce).
    wait_skips = sum(interval * max(1, math.ceil(s / interval)) for s in run_seconds)
    render_wall, render_cpu = summary(render["times"]), summary(render["cpu"])
    pdf_s, issue_s = summary(loop["pdf"]), summary(loop["issue"])
    done = max(1, batch["done"])
    per_cert_loop = loop["wall"] / max(1, loop["count"]) * 1000
    per_cert_loop_cpu = loop["cpu"] / max(1, loop["count"]) * 1000
    per_cert_job = job_seconds / done * 1000
    issue_in_job = sum(r["issue"] for r in runs)
    pdf_in_job = sum(r["pdf"] for r in runs)
    rest_in_job = job_seconds - issue_in_job - pdf_in_job
    rest_first, rest_last = (r["seconds"] - r["issue"] - r["pdf"] for r in (runs[0], runs[-1]))
    c_accel = bool(getattr(rl_accel, "_c_funcs", {}))
    loads = facts["loadavg"]
    limit = (f"each run issues at most `chunk={chunk}` certificates" if chunk is not None else
             f"each run works for up to `CERT_BATCH_SECONDS` = {budget:g} s, then the next run resumes"
             if budget is not None else "each run issues every pending certificate")

    def verdict(value, target):
        return "meets" if value <= target else "misses"

    lines = [
        f"# Certificate issuing: {n} certificates, SQLite",
        "",
        f"{datetime.now(UTC):%Y-%m-%d %H:%M UTC} · {os.cpu_count()} CPU(s) ({platform.machine()}, Python "
        f"{platform.python_version()}, reportlab {reportlab_version}) · load average {loads[0]:.1f} at the start, "
        f"{loads[1]:.1f} at the end · code {facts['code']} · "
        f"`.venv/bin/python bench/certificates.py --count {n}`",
        "",
        f"Targets (the issue): a certificate PDF in **{TARGET_MS} ms** or less; **{TARGET_BATCH:,} in a batch within "
        f"{TARGET_BATCH_S} s**. The job `{JOB}` runs every {interval} s; {limit}. Wall-clock figures include "
        "whatever else the machine was doing; the CPU figures (this process's CPU time) do not.",
        "",
        "| figure | value |",
        "|---|---|",
        f"| **PDF render and sign (document function), median / p95 / max, wall** ({render['count']} certificates) "
        f"| **{fmt(render_wall)} ms** ({verdict(render_wall[0], TARGET_MS)} the {TARGET_MS} ms target at the "
        "median) |",
        f"| PDF render and sign, CPU time, median / p95 / max | {fmt(render_cpu)} ms |",
        f"| PDF size, median | {statistics.median(render['sizes'] or [0]) / 1024:.0f} KB |",
        f"| re-rendered page byte-identical to the stored PDF's first revision | "
        f"{render['identical']} of {render['count']} |",
        f"| **batch: scheduler runs to finish {batch['done']} certificates** | **{len(runs)} run(s)** "
        f"(finished: {batch['finished']}) |",
        f"| **batch: the wait at the {interval} s interval = runs × {interval} s** | **{wait:,} s "
        f"({wait / 60:.1f} min)**" + (f" ({verdict(wait, TARGET_BATCH_S)} the {TARGET_BATCH_S} s target)"
                                      if n == TARGET_BATCH else "") + " |",
        f"| batch: the wait if runs longer than {interval} s skip firings | {wait_skips:,} s |",
        f"| batch: the job's compute, all runs, wall (CPU) | {job_seconds:.1f} s ({job_cpu:.1f} s); "
        f"{per_cert_job:.1f} ms a certificate |",
        f"| batch: one run, min / median / max, wall | {min(run_seconds):.2f} / {statistics.median(run_seconds):.2f}"
        f" / {max(run_seconds):.2f} s |",
        f"| batch: certificates a run, min / median / max | {min(per_run, default=0)} / "
        f"{statistics.median(per_run or [0]):.0f} / {max(per_run, default=0)} |",
        f"| batch: the job's time in issue() / pdf_bytes() / the rest (finding pending results, commit) | "
        f"{issue_in_job:.1f} / {pdf_in_job:.1f} / {rest_in_job:.1f} s |",
        f"| batch: the rest in the first / last run | {rest_first:.2f} / {rest_last:.2f} s |",
        f"| batch: start_batch (one commit) | {batch['start_seconds'] * 1000:.0f} ms |",
        f"| batch: total / done in the IssueBatch row | {batch['final_total']} / {batch['done']} |",
        f"| **plain loop issue() + pdf_bytes(), {loop['count']} certificates, one commit, wall (CPU)** | "
        f"**{loop['wall']:.1f} s** ({loop['cpu']:.1f} s); {per_cert_loop:.1f} ms ({per_cert_loop_cpu:.1f} ms) a "
        f"certificate; the commit {loop['commit']:.2f} s |",
        f"| plain loop: pdf_bytes() (render + write), median / p95 / max, wall | {fmt(pdf_s)} ms |",
        f"| plain loop: issue(), median / p95 / max, wall | {fmt(issue_s)} ms |",
        f"| once per process: registering the CJK font | {facts['font_seconds'] * 1000:.0f} ms |",
        f"| seeding ({2 * n} registrations through the services, {2 * n} results) | {facts['seed_seconds']:.0f} s |",
        "",
        f"## Against the {TARGET_BATCH:,}-in-{TARGET_BATCH_S}-s target",
        "",
    ]
    if chunk is not None:
        needed = math.ceil(TARGET_BATCH / chunk)
        lines.append(f"- With `chunk={chunk}` every {interval} s, {TARGET_BATCH:,} certificates take {needed} runs: "
                     f"**{needed * interval:,} s ({needed * interval / 60:.0f} min)** of waiting however fast a run "
                     "is; the interval, not the CPU, sets the pace.")
    elif budget is not None:
        duty = min(1.0, budget / interval)
        needed = math.ceil(TARGET_BATCH * per_cert_job / 1000 / budget)
        lines += [
            f"- A run works {budget:g} s of every {interval} s, so a batch of {TARGET_BATCH:,} fits in "
            f"{TARGET_BATCH_S} s only if a certificate costs at most {TARGET_BATCH_S * duty * 1000 / TARGET_BATCH:.0f}"
            f" ms inside the job (issue, render, write, and its share of finding the pending results).",
            f"- Measured inside the job: {per_cert_job:.1f} ms a certificate (wall) → {TARGET_BATCH:,} need ≈ "
            f"{needed} runs, **≈ {needed * interval} s**" + (" (measured above)" if n == TARGET_BATCH else
                                                            f" (**extrapolated** from N = {n})") + ".",
        ]
    finished_after = (len(runs) - 1) * interval + run_seconds[-1]
    lines += [
        f"- Counted from the first run's start, this batch of {batch['done']} finished after {finished_after:.0f} s "
        f"({len(runs) - 1} full intervals + a last run of {run_seconds[-1]:.1f} s); the first run starts "
        f"0-{interval} s after the click.",
        f"- One process and no interval: {TARGET_BATCH:,} × {per_cert_loop:.1f} ms (the plain loop, wall; "
        f"{per_cert_loop_cpu:.1f} ms CPU) ≈ **{TARGET_BATCH * per_cert_loop / 1000:.0f} s** "
        f"({TARGET_BATCH * per_cert_loop_cpu / 1000:.0f} s CPU); the target leaves "
        f"{TARGET_BATCH_S * 1000 / TARGET_BATCH:.0f} ms a certificate.",
    ]
    if n != TARGET_BATCH and chunk is not None:
        scale = TARGET_BATCH / n
        work = (issue_in_job + pdf_in_job) / done
        scan = rest_last * scale  # every run looks at every result of the event: linear in N
        lines.append(f"- **Extrapolated, not measured** (N = {n}): the job's compute at {TARGET_BATCH:,} ≈ "
                     f"{TARGET_BATCH:,} × {work * 1000:.1f} ms + {needed} runs × ≈ {scan:.2f} s of finding pending "
                     f"results (this run's {rest_last:.2f} s scaled with N) ≈ {TARGET_BATCH * work + needed * scan:.0f}"
                     " s.")
    shares = {name: seconds / prof["total"] * 100 for name, seconds in prof["buckets"].items()}
    lines += [
        "",
        f"## Where the time goes (cProfile of {prof['count']} renders, {prof['total']:.2f} s profiled, "
        f"{prof['total'] / max(1, prof['count']) * 1000:.1f} ms a render under the profiler)",
        "",
        "Top 5 by cumulative time (below the document function itself; nested wrappers with the same time "
        "shown once):",
        "",
        "| function | calls | cumulative s | own s |",
        "|---|---:|---:|---:|",
        *[f"| `{r['name']}` | {r['calls']} | {r['cum']:.3f} | {r['own']:.3f} |" for r in prof["top_cum"]],
        "",
        "Top 5 by own time:",
        "",
        "| function | calls | own s | cumulative s |",
        "|---|---:|---:|---:|",
        *[f"| `{r['name']}` | {r['calls']} | {r['own']:.3f} | {r['cum']:.3f} |" for r in prof["top_own"]],
        "",
        "Shares of the profiled time (they overlap: encoding happens inside image loading, subsetting inside "
        "saving):",
        "",
        *[f"- {name}: {share:.0f} %" for name, share in shares.items() if share >= 0.5],
        "",
        f"reportlab's C accelerator (the `rl_accel` package) is {'in use' if c_accel else 'not installed'}; "
        f"`rl_config.useA85` is {rl_config.useA85}"
        + (" (images ASCII85-encoded by a pure-Python loop)" if rl_config.useA85 and not c_accel else "")
        + "; the QR code "
        + ("searches all eight mask patterns (pure Python)" if shares.get(QR_MASK_SEARCH) else
           "uses a fixed mask (no search)")
        + " and goes through a PNG that reportlab decodes and re-compresses; the CJK font is registered once "
        "per process and subset in every PDF.",
        "",
        "## Checks",
        "",
        *[f"- {note}" for note in facts["checks"]],
        *([f"- a batch row was left unfinished: {batch['stale']}"] if batch["stale"] else []),
        "",
        f"Stored PDFs go to `UPLOAD_FOLDER/{services.PDF_FOLDER}`; this run used a temporary folder and database, "
        "deleted afterwards (`--keep` keeps them).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=3000, help="certificates per event (default 3000)")
    parser.add_argument("--profile", type=int, default=50, help="renders under cProfile (default 50)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (to look at the PDFs)")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="iiom-bench-certs-"))
    os.environ.update({"IIOM_CONFIG": "development", "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
                       "SECRET_KEY": "bench-" + "x" * 40, "UPLOAD_FOLDER": str(tmp / "uploads"),
                       "CERT_SIGNING_KEY_FILE": str(tmp / "key.pem")})
    loads = [os.getloadavg()[0]]
    try:
        import inspect

        from flask_migrate import upgrade

        from app import create_app
        from certificates import services
        from core.extensions import scheduler
        from core.pdf import cjk_font

        app = create_app()
        params = inspect.signature(services.run_batches).parameters
        facts: dict = {"interval": scheduler.jobs[JOB].trigger_args.get("seconds", 60), "code": code_version(),
                       "chunk": params["chunk"].default if "chunk" in params else None,
                       "budget": app.config.get("CERT_BATCH_SECONDS") if "budget" in params else None}
        with app.app_context():
            upgrade()
        start = time.perf_counter()
        cjk_font()
        facts["font_seconds"] = time.perf_counter() - start
        log(f"migrated; seeding 2 × {args.count} registrations")
        start = time.perf_counter()
        with app.app_context():
            ids = seed(app, args.count)
        facts["seed_seconds"] = time.perf_counter() - start
        log("seeded; running the batch job")
        facts["batch"] = run_batch(app, ids)
        log("rendering every batch certificate again")
        facts["render"] = render_all(app, ids["batch_event"])
        log("plain loop")
        facts["loop"] = plain_loop(app, ids)
        log("profiling")
        facts["profile"] = profile_renders(app, ids["batch_event"], args.profile)
        facts["checks"] = verify_sample(app, ids["batch_event"])
        loads.append(os.getloadavg()[0])
        facts["loadavg"] = loads
        text = report(args, facts)
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    out = ROOT / "bench" / "results" / "certificates.md"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    print(text)
    return 0 if facts["batch"]["finished"] else 1


if __name__ == "__main__":
    sys.exit(main())
