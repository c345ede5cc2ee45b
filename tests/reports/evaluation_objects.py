"""A district's annual evaluation for the URL walk: one rendered version of `year` (the year
must be open: tests.convergence.objects opens it)."""

from accounts.tenancy import district_scope
from reports import services
from reports.models import EvaluationVersion


def evaluation_objects(side, year):
    with district_scope(side.district):
        version = EvaluationVersion.objects.filter(district=side.district, year=year).first()
        if version is None:
            version = services.request_evaluation(
                side.district, year, by=side.users["district_admin"]
            )
    return {"evaluation_number": version.number}
