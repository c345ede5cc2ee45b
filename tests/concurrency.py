"""Two real database connections racing for the same row.

`race(first, second)` runs `first` in a thread with its own connection and keeps its
transaction open until `second`, in another thread and connection, is waiting on a lock
(or has finished); then `first` commits and `second` goes on. This is the interleaving of two
people clicking at the same moment, made deterministic.
"""

import threading
import time

from django.db import connection, connections, transaction

WAIT = 10  # seconds before a stuck race fails the test


def _waiting_on_lock(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("select wait_event_type from pg_stat_activity where pid = %s", [pid])
        row = cursor.fetchone()
    return bool(row) and row[0] == "Lock"


def race(first, second):
    """(outcome of first, outcome of second): each the return value or the exception raised."""
    outcome: dict = {}
    worked = threading.Event()
    release = threading.Event()
    second_pid: list[int] = []

    def run_first():
        try:
            with transaction.atomic():
                outcome["first"] = first()
                worked.set()
                release.wait(WAIT)
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            outcome["first"] = exc
        finally:
            worked.set()
            connections.close_all()

    def run_second():
        try:
            with connection.cursor() as cursor:
                cursor.execute("select pg_backend_pid()")
                second_pid.append(cursor.fetchone()[0])
            outcome["second"] = second()
        except Exception as exc:  # noqa: BLE001
            outcome["second"] = exc
        finally:
            connections.close_all()

    one = threading.Thread(target=run_first)
    one.start()
    assert worked.wait(WAIT), "the first transaction did not get going"
    two = threading.Thread(target=run_second)
    two.start()
    deadline = time.monotonic() + WAIT
    while two.is_alive() and time.monotonic() < deadline:
        if second_pid and _waiting_on_lock(second_pid[0]):
            break
        time.sleep(0.02)
    release.set()
    one.join(WAIT)
    two.join(WAIT)
    assert not one.is_alive() and not two.is_alive(), "a racer is stuck"
    return outcome.get("first"), outcome.get("second")
