"""Which certificate the signed-in user may download: their own (as the candidate, or as the
applicant who registered them), or any for an administrator. Shared by the certificate views and
the Open Badges views (which certificates.views registers, so neither can import the other)."""

from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from accounts.models import Role
from certificates.models import Certificate
from core.extensions import db


def own_certificate(public_id: str) -> Certificate:
    certificate = db.first_or_404(select(Certificate).filter_by(public_id=public_id))
    registration = certificate.registration
    if current_user.role is not Role.ADMIN and current_user.id not in (registration.user_id,
                                                                       registration.applicant_id):
        abort(403)
    return certificate
