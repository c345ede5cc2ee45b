"""A change to the data under a district's roll-up snapshot queues its refresh (after the
commit, once per district: reports.snapshots.queue_refresh); a change to any row of a district
in the feature apps moves the district's data generation (lib.generations), under which its
dashboard is kept (reports.dashboard.rendered); a change to a snapshot or a region moves the
roll-ups' generation, under which the province and national tables are kept."""

from django.db.models.signals import post_delete, post_save

from lib import generations

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

# the apps whose rows the dashboard reads (every row with a district)
DASHBOARD_APPS = frozenset(
    {"villages", "convergence", "village_reports", "outcomes", "rembuk", "commitments"}
)


def changed(sender, instance, **kwargs):
    snapshots.queue_refresh(getattr(instance, "district_id", None))


def district_data_changed(sender, instance, **kwargs):
    if sender._meta.app_label not in DASHBOARD_APPS:
        return
    if sender._meta.label == "villages.District":
        district_id = instance.pk
    else:
        district_id = getattr(instance, "district_id", None)
    generations.move(generations.DISTRICT_DATA, district_id)


# the rows the roll-up tables read: the snapshots and the regions named beside them
ROLLUP_ROWS = ("reports.DistrictSnapshot", "villages.District", "villages.Province")


def rollup_data_changed(sender, instance, **kwargs):
    generations.move(generations.ROLLUP_DATA, generations.COUNTRY)


def connect():
    for label in WATCHED:
        for name, signal in (("save", post_save), ("delete", post_delete)):
            signal.connect(changed, sender=label, dispatch_uid=f"snapshot-{label}-{name}")
    for signal in (post_save, post_delete):
        signal.connect(district_data_changed, dispatch_uid=f"district-data-{signal is post_save}")
    for label in ROLLUP_ROWS:
        for name, signal in (("save", post_save), ("delete", post_delete)):
            signal.connect(rollup_data_changed, sender=label, dispatch_uid=f"rollup-{label}-{name}")
