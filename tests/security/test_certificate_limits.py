"""The public certificate lookup (number and holder name) is limited per client address and per
certificate number, atomically: lookups arriving together take turns on one throttle bucket, so
the limit holds under a burst (issue 12 L9). Real concurrency: threads with their own connections,
on a SQLite file or on PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import threading

from certificates import services
from certificates.models import Certificate
from core import clock
from core.errors import Throttled
from core.extensions import db as _db
from tests.conftest import shared_app

BURST = 30


_shared = shared_app


def _certificate(app, db, panel, final_results):
    with app.test_request_context():
        certificate = services.issue(db.session, result=final_results[0], actor=panel["admin"], now=clock.now())
        db.session.commit()
        return certificate.number, certificate.holder_name


def _burst(shared, app, calls) -> tuple[int, int]:
    """Run every (number, name, address) lookup at the same moment; (answered, refused)."""
    gate = threading.Barrier(len(calls))
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def one(number: str, name: str, address: str) -> None:
        try:
            with shared.app_context():
                gate.wait(timeout=60)
                try:
                    services.lookup(_db.session, number=number, name=name, address=address, now=clock.now())
                except Throttled:
                    _db.session.rollback()
                    outcome = "refused"
                else:
                    _db.session.commit()
                    outcome = "answered"
                with lock:
                    outcomes.append(outcome)
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=one, args=call) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    if shared is not app:
        with shared.app_context():
            _db.engine.dispose()
    assert not errors, errors
    assert len(outcomes) == len(calls)
    return outcomes.count("answered"), outcomes.count("refused")


def test_a_burst_from_one_address_gets_no_more_than_the_limit(app, db, panel, final_results, frozen_clock, tmp_path):
    """Issue 12 L9: 30 lookups from one address at once; the old count-then-insert let 16 through."""
    number, name = _certificate(app, db, panel, final_results)
    shared = _shared(app, db, tmp_path, CERT_LOOKUP_PER_ADDRESS=10, CERT_LOOKUP_PER_NUMBER=100)
    answered, refused = _burst(shared, app, [(number, name, "203.0.113.7")] * BURST)
    assert (answered, refused) == (10, BURST - 10)


def test_one_number_from_many_addresses_is_limited_across_them(app, db, panel, final_results, frozen_clock,
                                                               tmp_path):
    """Issue 12 L9: guessing the holder's name of one (sequential, so known) number from 30
    addresses at once meets the per-number limit, whatever the address."""
    number, _name = _certificate(app, db, panel, final_results)
    shared = _shared(app, db, tmp_path, CERT_LOOKUP_PER_ADDRESS=10, CERT_LOOKUP_PER_NUMBER=5)
    calls = [(number.lower(), f"猜{n}", f"198.51.100.{n + 1}") for n in range(BURST)]
    answered, refused = _burst(shared, app, calls)
    assert (answered, refused) == (5, BURST - 5)


def test_ipv6_addresses_of_one_network_share_the_limit(app, db, panel, final_results, frozen_clock):
    """Issue 12 L9: a client holds a whole IPv6 /64; its addresses count as one."""
    number, name = _certificate(app, db, panel, final_results)
    app.config.update(CERT_LOOKUP_PER_ADDRESS=3, CERT_LOOKUP_PER_NUMBER=100)
    for n in range(3):
        services.lookup(db.session, number=f"NOPE{n}", name="x", address=f"2001:db8:1:2::{n + 1:x}", now=clock.now())
    try:
        services.lookup(db.session, number=number, name=name, address="2001:db8:1:2:ffff::9", now=clock.now())
    except Throttled:
        pass
    else:
        raise AssertionError("a fourth address of the same /64 was not limited")
    found = services.lookup(db.session, number=number, name=name, address="2001:db8:1:3::1", now=clock.now())
    assert isinstance(found, Certificate) and found.number == number  # the next /64 is another client


def test_a_refused_lookup_says_when_to_come_back(app, client, db, panel, final_results, frozen_clock):
    """Issue 12 L9: the page refusing a lookup gives the wait (Retry-After) and says why."""
    number, name = _certificate(app, db, panel, final_results)
    app.config.update(CERT_LOOKUP_PER_ADDRESS=100, CERT_LOOKUP_PER_NUMBER=2)
    client.submit("/language", {"lang": "en"})
    for n in range(2):
        assert client.submit("/verify", {"number": number, "name": f"猜{n}"},
                             environ_base={"REMOTE_ADDR": f"192.0.2.{n + 1}"}).status_code == 404
    refused = client.submit("/verify", {"number": number, "name": name}, environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 600
    assert "Too many lookups of this certificate number" in refused.get_data(as_text=True)
    frozen_clock.advance(minutes=11)
    right = client.submit("/verify", {"number": number, "name": name}, environ_base={"REMOTE_ADDR": "192.0.2.9"})
    assert right.status_code == 302
