from celery import shared_task


@shared_task(acks_late=True)
def village_report_reminders() -> int:
    """Daily (beat): remind villages whose report is not sent, before and after its due date.
    Safe to rerun: each reminder is claimed by a unique row before it is sent."""
    from .reports import send_report_reminders

    return send_report_reminders()
