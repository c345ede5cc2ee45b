"""A change to the data under a district's roll-up snapshot queues its refresh (after the
commit, once per district: reports.snapshots.queue_refresh)."""

from django.db.models.signals import post_delete, post_save

from . import snapshots

# the rows whose change moves a snapshot figure. Status changes are conditional updates
# (documents.transitions) that send no signal: their history rows (Transition, ReportEvent)
# are written in the same transaction and stand for them.
WATCHED = (
    "convergence.DistrictYear",  # a year opened or removed
    "convergence.Deliverable",  # its data (the measured prevalence)
    "convergence.Transition",  # a deliverable submitted, verified or returned
    "convergence.Grade",  # self-assessment and province grades
    "village_reports.VillageReport",
    "village_reports.ReportEvent",  # a report sent, verified or returned
    "outcomes.IndicatorValue",
    "outcomes.DistrictTarget",
)


def changed(sender, instance, **kwargs):
    snapshots.queue_refresh(getattr(instance, "district_id", None))


def connect():
    for label in WATCHED:
        for name, signal in (("save", post_save), ("delete", post_delete)):
            signal.connect(changed, sender=label, dispatch_uid=f"snapshot-{label}-{name}")
