"""Open Badges routes, a blueprint nested in certificates' (endpoints certificates.badges.*).

Public, no sign-in: the issuer's Profile, its status lists, the achievements, and a certificate's credential (JSON
and baked PNG) by the verify page's token. The holder (signed in) and administrators: the same
by the certificate's public id, from the results page."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort
from sqlalchemy import select

from accounts.models import Role
from certificates import results as result_services
from certificates import services
from certificates.holder import own_certificate
from certificates.models import Certificate
from certificates.openbadges import baking
from certificates.openbadges import services as badges
from certificates.openbadges.models import BadgeIssuer, StatusList
from core import clock
from core.access import public, roles
from core.extensions import db
from core.http import personal

bp = Blueprint("badges", __name__)
LD_JSON = "application/ld+json"


def _json(document: dict, *, download: str | None = None) -> Response:
    headers = {"Content-Disposition": f"attachment; filename={download}"} if download else {}
    return Response(json.dumps(document, ensure_ascii=False, indent=1), mimetype=LD_JSON, headers=headers)


def _credential(certificate: Certificate) -> dict:
    row = badges.credential_of(db.session, certificate=certificate, now=clock.now(),
                               rule=result_services.rule_of(db.session, certificate.event))
    db.session.commit()
    return row.document


def _png(certificate: Certificate, document: dict) -> Response:
    tone = certificate.event.level.value if certificate.kind.value == "competence" else "award"
    return Response(baking.bake(baking.emblem(tone), document), mimetype="image/png",
                    headers={"Content-Disposition": f"attachment; filename=badge-{certificate.number}.png"})


@bp.route("/badges/issuers/<public_id>")
@public
def issuer(public_id: str):
    return _json(badges.issuer_profile(db.first_or_404(select(BadgeIssuer).filter_by(public_id=public_id))))


@bp.route("/badges/status/<public_id>")
@public
def status_list(public_id: str):
    response = _json(badges.status_list_credential(db.first_or_404(select(StatusList).filter_by(public_id=public_id))))
    response.headers["Cache-Control"] = "no-cache"  # a revocation must show at once
    return response


@bp.route("/badges/achievements/<code>")
@public
def achievement(code: str):
    document = badges.achievement_document(db.session, code)
    if document is None:
        abort(404)
    return _json(document)


def _by_token(token: str) -> Certificate:
    certificate = services.by_token(db.session, token)
    if certificate is None:
        abort(404)
    return certificate


@bp.route("/verify/<token>/badge.json")
@public
@personal
def public_json(token: str):
    certificate = _by_token(token)
    return _json(_credential(certificate), download=f"badge-{certificate.number}.json")


@bp.route("/verify/<token>/badge.png")
@public
@personal
def public_png(token: str):
    certificate = _by_token(token)
    return _png(certificate, _credential(certificate))


@bp.route("/certificates/<public_id>/badge.json")
@roles(Role.CANDIDATE, Role.ADMIN)
def mine_json(public_id: str):
    certificate = own_certificate(public_id)
    return _json(_credential(certificate), download=f"badge-{certificate.number}.json")


@bp.route("/certificates/<public_id>/badge.png")
@roles(Role.CANDIDATE, Role.ADMIN)
def mine_png(public_id: str):
    certificate = own_certificate(public_id)
    return _png(certificate, _credential(certificate))
