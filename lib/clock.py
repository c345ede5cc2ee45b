"""A clock for replaying history, used by the demo data only (`manage.py seed_demo`).

The demo is made through the real services, and each step is replayed at the moment it would
have happened: a commitment signed on the day of its rembuk, a report verified two days after
it was sent. So every timestamp that a service, a model default or an `auto_now` field takes
from `django.utils.timezone.now()` (signatures and the hash chain over them, the final PDF,
the audit log, status histories) agrees with the others and with the documents' own dates.

`replaying(moment)` moves `timezone.now()`, and only it, to `moment`, from where time runs on
at its normal pace. Never use it while serving requests: it changes the clock of the whole
process.
"""

import contextlib
from datetime import date, datetime, time, timedelta

from django.utils import timezone

_REAL = timezone.datetime


class _Real(type):
    """Real datetimes still count as instances of the replayed class (Django's timezone
    module checks `isinstance(value, datetime)`)."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, _REAL)

    def __subclasscheck__(cls, sub):
        return issubclass(sub, _REAL)


@contextlib.contextmanager
def replaying(moment: datetime):
    """Run the block as if it began at `moment` (an aware datetime, in the past)."""
    if timezone.is_naive(moment):
        raise ValueError("replaying() needs an aware datetime")
    offset = moment - _REAL.now(moment.tzinfo)

    class Replayed(_REAL, metaclass=_Real):
        @classmethod
        def now(cls, tz=None):
            return _REAL.now(tz) + offset

    saved = timezone.datetime
    timezone.datetime = Replayed
    try:
        yield
    finally:
        timezone.datetime = saved


def real_now() -> datetime:
    """The real moment, even inside `replaying`."""
    return _REAL.now(timezone.UTC)


def in_the_past(moment: datetime, *, margin: timedelta = timedelta(minutes=10)) -> datetime:
    """`moment`, or a little before now when it lies ahead: replayed history stops short of
    the present (a plan made for late in the year, seeded early in it)."""
    return min(moment, real_now() - margin)


def local(day: date, hour: int, minute: int, tz) -> datetime:
    """An aware moment on `day` at hh:mm in time zone `tz` (a district's)."""
    return datetime.combine(day, time(hour, minute), tzinfo=tz)
