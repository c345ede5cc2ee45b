from celery import shared_task

from .services import send_deadline_reminders


@shared_task(acks_late=True)
def deadline_reminders() -> int:
    """Daily (beat): reminders before and after due dates. Safe to rerun: each reminder is
    claimed by a unique row before it is sent."""
    return send_deadline_reminders()
