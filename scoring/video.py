"""The staff group's teaching demonstration (说课): the candidate uploads a video or gives a link;
assigned experts score it on a six-criterion rubric; with five or more experts the highest and
lowest totals are dropped; the mean is the mark."""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from accounts.models import Role, User
from core import audit, uploads
from core.errors import Conflict, DomainError, NotAllowed
from registration.models import Event, Group, Registration, State
from scoring import rules
from scoring.models import RUBRIC, TeachingVideo, VideoExpert, VideoScore

FOLDER = "videos"
LINK = re.compile(r"^https://[^\s/$.?#].[^\s]{3,490}$")


def video_kind(data: bytes) -> str | None:
    """"mp4" or "webm" by the file's own bytes, or None."""
    if len(data) > 12 and data[4:8] == b"ftyp":
        return "mp4"
    if data[:4] == b"\x1a\x45\xdf\xa3":
        return "webm"
    return None


def may_submit(registration: Registration, user: User) -> bool:
    own = user.role is Role.CANDIDATE and user.id in (registration.applicant_id, registration.user_id)
    centre = user.role is Role.CENTRE_STAFF and user.centre_id == registration.centre_id
    return own or centre


def submit(session: Session, *, registration: Registration, user: User, data: bytes | None, link: str,
           now: datetime) -> TeachingVideo:
    if not may_submit(registration, user):
        raise NotAllowed(_l("Only the candidate or their training centre may submit the video."))
    if registration.group is not Group.STAFF or registration.state is not State.ENROLLED:
        raise DomainError(_l("Only enrolled candidates of the staff group submit a teaching video."))
    link = (link or "").strip()
    name = None
    if data and len(data) > max_bytes():
        raise DomainError(_l("The video is larger than %(mb)d MB: give a link to it instead.",
                             mb=max_bytes() // (1024 * 1024)), field="video")
    if data:
        kind = video_kind(data)
        if kind is None:
            raise DomainError(_l("The file is not an MP4 or WebM video."), field="video")
        name = f"{registration.public_id}.{kind}"
        (uploads.folder(FOLDER) / name).write_bytes(data)
    elif link:
        if not LINK.match(link):
            raise DomainError(_l("Give a full https:// link to the video."), field="link")
    else:
        raise DomainError(_l("Upload the video or give a link to it."), field="video")
    video = session.scalar(select(TeachingVideo).filter_by(registration_id=registration.id))
    if video is not None and video.scores:
        raise DomainError(_l("Experts have started scoring this video; it can no longer be replaced."))
    if video is None:
        video = TeachingVideo(registration_id=registration.id, submitted_at=now)
        session.add(video)
    video.file, video.link, video.submitted_at = name, (None if name else link), now
    session.flush()
    audit.record(session, "video.submit", target=registration, actor=user, after={"file": name, "link": video.link})
    return video


def assign_expert(session: Session, *, event: Event, user: User, actor: User) -> None:
    if user.role not in (Role.REFEREE, Role.CHIEF_REFEREE):
        raise DomainError(_l("%(name)s is not a referee or expert.", name=user.full_name))
    if session.scalar(select(VideoExpert).filter_by(event_id=event.id, user_id=user.id)) is None:
        session.add(VideoExpert(event_id=event.id, user_id=user.id))
        audit.record(session, "video.expert", target=event, actor=actor, after={"expert": user.username})


def is_expert(session: Session, event_id: int, user: User) -> bool:
    return session.scalar(select(VideoExpert.id).filter_by(event_id=event_id, user_id=user.id)) is not None


def score(session: Session, *, video: TeachingVideo, expert: User, values: dict[str, str], now: datetime
          ) -> VideoScore:
    registration = video.registration
    if not is_expert(session, registration.event_id, expert):
        raise NotAllowed(_l("You are not an expert for this event."))
    if expert.centre_id is not None and expert.centre_id == registration.centre_id:
        raise Conflict(_l("Conflict of interest: you come from this candidate's training centre."))
    scores, problems = {}, []
    for key, label, maximum in RUBRIC:
        try:
            value = Decimal(str(values.get(key, "")).strip())
        except InvalidOperation:
            problems.append(str(label))
            continue
        if value < 0 or value > maximum or (value * 2) % 1 != 0:
            problems.append(str(label))
        scores[key] = str(value)
    if problems:
        raise DomainError(_l("Each criterion takes 0 up to its maximum, in steps of 0.5: %(which)s.",
                             which=", ".join(problems)))
    total = rules.money(sum((Decimal(v) for v in scores.values()), Decimal(0)))
    record = session.scalar(select(VideoScore).filter_by(video_id=video.id, expert_id=expert.id))
    before = None
    if record is None:
        record = VideoScore(video=video, expert_id=expert.id, scores=scores, total=total, submitted_at=now)
        session.add(record)
    else:
        before = {"total": record.total}
        record.scores, record.total, record.submitted_at = scores, total, now
    session.flush()
    audit.record(session, "video.score", target=registration, actor=expert, before=before, after={"total": total})
    return record


def mark(video: TeachingVideo) -> Decimal | None:
    """The experts' mean; with five or more, without the highest and the lowest."""
    totals = [s.total for s in video.scores]
    return rules.trimmed_mean(totals) if totals else None


def max_bytes() -> int:
    return current_app.config["VIDEO_MAX_BYTES"]
