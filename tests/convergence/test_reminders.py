"""Deadline reminders: judged in each district's own time zone, once per deliverable per
threshold, never twice when the job reruns; and the beat job through a real Celery worker."""

import datetime as dt

import pytest
from django.conf import settings
from django.core import mail
from django_scopes import scopes_disabled

from convergence import services
from convergence.models import Deliverable, ReminderSent
from tests.convergence.objects import own_deliverable, submit_complete, year_for

pytestmark = pytest.mark.django_db

DUE = dt.date(2026, 6, 30)


def only_due(side, year, due=DUE, responsible=None):
    """Leave exactly one open deliverable in reach of a reminder, due on `due`."""
    district_year = year_for(side, year)
    with scopes_disabled():
        Deliverable.objects.filter(year_action__district_year=district_year).update(
            due_date=dt.date(year, 12, 31)
        )
        target = own_deliverable(side, district_year)
        Deliverable.objects.filter(pk=target.pk).update(due_date=due)
        if responsible:
            target.year_action.responsible.set(responsible)
    return target


def at_utc(day, hour, minute=0):
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("moment", "subject_a", "subject_b"),
    [
        # 16:30 UTC on the due date: still the due date in Sumedang (WIB, 23:30) but already
        # the day after in Timor Tengah Selatan (WITA, 00:30): one is reminded, one is late.
        (at_utc(DUE, 16, 30), "Tenggat 1 hari lagi", "Terlambat 1 hari"),
        (at_utc(DUE - dt.timedelta(days=7), 12), "Tenggat 7 hari lagi", "Tenggat 7 hari lagi"),
        (at_utc(DUE + dt.timedelta(days=9), 12), "Terlambat 7 hari", "Terlambat 7 hari"),
    ],
)
def test_thresholds_are_judged_in_the_district_time_zone(world, moment, subject_a, subject_b):
    a = only_due(world.a, 2026)
    b = only_due(world.b, 2026)
    sent = services.send_deadline_reminders(now=moment)
    assert sent == 2
    by_recipient = {m.to[0]: m for m in mail.outbox}
    mail_a = by_recipient[world.a.users["opd_staff"].email]
    mail_b = by_recipient[world.b.users["opd_staff"].email]
    assert mail_a.subject.startswith(subject_a), mail_a.subject
    assert mail_b.subject.startswith(subject_b), mail_b.subject
    assert a.template.title in mail_a.subject
    assert f"/{world.a.district.slug}/keluaran/{a.pk}/" in mail_a.body
    assert settings.SITE_URL in mail_b.body and str(b.pk) in mail_b.body


def test_never_twice_even_when_the_job_reruns(world):
    only_due(world.a, 2026)
    moment = at_utc(DUE - dt.timedelta(days=5), 1)
    assert services.send_deadline_reminders(now=moment) == 1
    assert services.send_deadline_reminders(now=moment) == 0
    assert services.send_deadline_reminders(now=moment + dt.timedelta(days=1)) == 0
    # the next threshold is a new reminder, once
    later = at_utc(DUE - dt.timedelta(days=1), 3)
    assert services.send_deadline_reminders(now=later) == 1
    assert services.send_deadline_reminders(now=later) == 0
    assert len(mail.outbox) == 2
    with scopes_disabled():
        assert sorted(ReminderSent.objects.values_list("threshold", flat=True)) == [-7, -1]


def test_responsible_users_first_and_submitted_work_is_left_alone(world):
    admin = world.a.users["district_admin"]
    target = only_due(world.a, 2026, responsible=[admin])
    services.send_deadline_reminders(now=at_utc(DUE, 2))
    assert [m.to for m in mail.outbox] == [[admin.email]]
    # once submitted, no "late" reminder
    with scopes_disabled():
        submit_complete(target, by=admin)
    assert services.send_deadline_reminders(now=at_utc(DUE + dt.timedelta(days=3), 2)) == 0


def test_locked_years_are_not_reminded(world):
    only_due(world.a, 2026)
    with scopes_disabled():
        services.lock_year(district_year=year_for(world.a, 2026), by=None)
    assert services.send_deadline_reminders(now=at_utc(DUE, 2)) == 0


def test_beat_schedule_runs_the_job_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["deadline-reminders"]
    assert entry["task"] == "convergence.tasks.deadline_reminders"
    assert entry["schedule"].hour == {23} and entry["schedule"].minute == {0}


@pytest.mark.django_db(transaction=True)
def test_job_through_a_real_worker_sends_once(world, celery_worker):
    from convergence.tasks import deadline_reminders

    only_due(world.a, 2026, due=world.a.district.local_now().date() + dt.timedelta(days=1))
    first = deadline_reminders.apply_async(ignore_result=False).get(timeout=60)
    second = deadline_reminders.apply_async(ignore_result=False).get(timeout=60)
    assert (first, second) == (1, 0)
    with scopes_disabled():
        assert ReminderSent.objects.count() == 1
