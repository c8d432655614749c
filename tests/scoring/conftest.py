from datetime import date, timedelta

import pytest

from accounts import services as accounts
from core import clock
from registration import services as reg
from scoring import services
from tests.conftest import statements as shared_statements
from tests.registration.conftest import event, form_data, make_id, photo_bytes  # noqa: F401 (the event fixture)


@pytest.fixture
def panel(db, event, create_user):  # noqa: F811 (event: the imported fixture)
    """An intermediate event with three enrolled candidates (two centres), a locked default scheme,
    stations drawn (seeded), two referees and a chief referee."""
    admin = create_user("admin")
    centre_a = create_user("centre_staff")
    centre_b = create_user("centre_staff")
    people = []
    for n, staff in enumerate((centre_a, centre_a, centre_b)):
        r = reg.save_registration(db.session, registration=None, event=event, centre=staff.centre,
                                  data=form_data(full_name=f"选手{n}", id_number=make_id(date(2000, 1, 1 + n),
                                                                                       seq=f"5{n}"),
                                                 birth_date=date(2000, 1, 1 + n)),
                                  photo=photo_bytes(), user=staff, now=clock.now())
        for action, user in (("submit", staff), ("centre_approve", staff), ("approve", admin), ("enrol", admin)):
            reg.act(db.session, registration=r, action=action, user=user, now=clock.now())
        people.append(r)
    scheme = services.create_scheme(db.session, event=event, actor=admin)
    services.lock_scheme(db.session, scheme=scheme, actor=admin, now=clock.now())
    services.draw_stations(db.session, scheme=scheme, actor=admin, seed="panel")
    referee_1 = create_user("referee", full_name="裁判一")
    referee_2 = create_user("referee", full_name="裁判二")
    chief = create_user("chief_referee", full_name="裁判长")
    db.session.commit()
    return {"admin": admin, "people": people, "scheme": scheme, "r1": referee_1, "r2": referee_2, "chief": chief,
            "centre_a": centre_a.centre, "centre_b": centre_b.centre, "staff_b": centre_b}


def station(db, task, registration):
    return services.station_of(db.session, task, registration).number


def set_centre(db, user, centre):
    accounts.update_user(db.session, user=user, actor=user, full_name=user.full_name, email="", role=user.role,
                         centre=centre, active=True)
    db.session.commit()


def enrol_more(db, panel, n: int) -> list:
    """`n` more candidates enrolled in the panel's event (from centre B), with their stations drawn."""
    admin, staff = panel["admin"], panel["staff_b"]
    scheme_event = panel["scheme"].event
    added = []
    start = len(panel["people"])
    for i in range(start, start + n):
        born = date(1990, 1, 1) + timedelta(days=i)
        r = reg.save_registration(db.session, registration=None, event=scheme_event, centre=staff.centre,
                                  data=form_data(full_name=f"选手{i}", id_number=make_id(born, seq=f"{i % 100:02d}"),
                                                 birth_date=born, email=f"c{i}@example.com"),
                                  photo=photo_bytes(), user=staff, now=clock.now())
        for action, user in (("submit", staff), ("centre_approve", staff), ("approve", admin),
                             ("enrol", admin)):
            reg.act(db.session, registration=r, action=action, user=user, now=clock.now())
        added.append(r)
    services.draw_stations(db.session, scheme=panel["scheme"], actor=admin, seed=f"more{n}")
    db.session.commit()
    panel["people"].extend(added)
    return added


def statements(db):
    """The SQL statements run inside the block (tests.conftest.statements)."""
    return shared_statements()
