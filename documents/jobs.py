"""Background jobs: one row per piece of work, handed to Celery, claimed once, polled by the page.

    job = jobs.create(kind="commitment_pdf", district=d, by=user, payload={"version": id})

    @shared_task(base=jobs.JobTask)          # in the app's tasks.py
    def render_commitment_pdf(job_id, district=None, claim_seconds=None):
        jobs.run(job_id, _render, seconds=claim_seconds)

What survives what:
- The broker is down when the job is requested: the request still succeeds, the row stays
  queued with `sent_at` empty, the page says it will run when the queue is back, and the
  sweep (beat, every minute) or the page's retry hands it over again.
- The worker dies mid-job (killed, out of memory): the message is redelivered (acks late,
  reject on worker loss) once the broker's visibility timeout has passed; by then the claim
  (`claimed_until`, the task's time limit) has expired, so the new delivery claims it. A job
  run inside a request that died (a timeout) has a short claim and is handed over again.
- A job runs twice: only one claim wins, and only the attempt that claimed it may finish it;
  the work itself writes its output keyed by its source (a second run finds it done).
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from celery import current_app
from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.tenancy import DistrictTask, each_district

from .models import Job, JobStatus

logger = logging.getLogger(__name__)

# kind -> (the task's dotted name, the queue it runs on)
KINDS: dict[str, tuple[str, str]] = {}


def register(kind: str, task_name: str, *, queue: str = "celery") -> None:
    KINDS[kind] = (task_name, queue)


def _rows(national: bool):
    return Job.national if national else Job.objects


def create(*, kind: str, district, by, payload: dict, inline: bool = False) -> Job:
    """A job row, queued, handed to its worker once the surrounding transaction commits (at
    once when tasks run in-process, as in `make run` and the tests). `inline`: run it in this
    process after the commit instead (a small document rendered within the request), with a
    short claim, so that a request that dies mid-way leaves it to a worker."""
    if kind not in KINDS:
        raise KeyError(f"unknown job kind {kind!r}")
    job = Job.objects.create(
        kind=kind,
        district=district,
        requested_by=by if getattr(by, "is_authenticated", False) else None,
        payload=payload,
        sent_at=timezone.now() if inline else None,
        attempt_limit=settings.JOB_ATTEMPTS,
    )
    if inline:
        transaction.on_commit(lambda: run_here(job))
    elif current_app.conf.task_always_eager:
        hand_over(job)
    else:
        transaction.on_commit(lambda: hand_over(job))
    return job


def _task_kwargs(job: Job, **extra) -> dict:
    kwargs = {"job_id": str(job.pk), **extra}
    if job.district_id is not None:
        kwargs["district_id"] = job.district_id
    return kwargs


def run_here(job: Job) -> None:
    """Run a job's task in this process. Never raises: a failure is written on the job."""
    task_name, _queue = KINDS[job.kind]
    kwargs = _task_kwargs(job, claim_seconds=settings.INLINE_JOB_SECONDS)
    try:
        current_app.tasks[task_name].apply(kwargs=kwargs, throw=True)
    except Exception:
        logger.exception("job %s (%s) failed in the request", job.pk, job.kind)


def hand_over(job: Job) -> bool:
    """Give the job to the broker. Never raises: when the broker does not answer, the job
    stays queued with `sent_at` empty (the page says so) and the sweep tries again."""
    task_name, queue = KINDS[job.kind]
    try:
        if current_app.conf.task_always_eager:  # in-process: run it right here
            current_app.tasks[task_name].apply(kwargs=_task_kwargs(job))
        else:
            current_app.send_task(
                task_name,
                kwargs=_task_kwargs(job),
                queue=queue,
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.5},
            )
    except Exception:  # the broker is down or refuses: keep the job, say so loudly
        logger.exception("job %s (%s) could not be handed to the broker", job.pk, job.kind)
        return False
    _rows(job.district_id is None).filter(pk=job.pk).update(sent_at=timezone.now())
    return True


@dataclass
class Running:
    """What the work sees of its job: progress reports, and whether it still holds it."""

    job: Job
    attempt: int

    def _mine(self):
        rows = _rows(self.job.district_id is None)
        return rows.filter(pk=self.job.pk, attempts=self.attempt, status=JobStatus.RUNNING)

    def progress(self, percent: int, message: str = "") -> None:
        self._mine().update(progress=percent, message=message[:300])

    def finish(self, *, message: str = "", result: dict | None = None) -> bool:
        """Mark the job done; False when a later attempt took it over meanwhile."""
        return bool(
            self._mine().update(
                status=JobStatus.DONE,
                progress=100,
                message=message[:300],
                result=result or {},
                finished_at=timezone.now(),
            )
        )

    def fail(self, message: str, *, result: dict | None = None) -> None:
        self._mine().update(
            status=JobStatus.FAILED,
            message=message[:300],
            result=result or {},
            finished_at=timezone.now(),
        )


def claim(job_id, *, national: bool = False, seconds: int | None = None) -> Running | None:
    """Claim a job: its Running when it was queued or its last claim expired, None when
    another worker has it or it is finished. The claim lasts the task's time limit, or
    `seconds`."""
    now = timezone.now()
    limit = timedelta(seconds=seconds or settings.CELERY_TASK_TIME_LIMIT)
    rows = _rows(national).filter(pk=job_id).claimable(now)
    # a job whose every attempt died fails, with a reason for the page, instead of looping
    rows.filter(attempts__gte=F("attempt_limit")).update(
        status=JobStatus.FAILED,
        message=EXHAUSTED,
        finished_at=now,
    )
    claimed = rows.filter(attempts__lt=F("attempt_limit")).update(
        status=JobStatus.RUNNING,
        started_at=now,
        claimed_until=now + limit,
        attempts=F("attempts") + 1,
        progress=0,
        message="",
    )
    if not claimed:
        return None
    job = _rows(national).get(pk=job_id)
    return Running(job, job.attempts)


EXHAUSTED = "tugas terhenti berulang kali sebelum selesai; hubungi admin portal"


class Refused(Exception):
    """What the work raises for an expected failure: its message is shown on the page and the
    worker's log gets no traceback."""


def run(job_id, work, *, national: bool = False, seconds: int | None = None) -> None:
    """Claim the job and do `work(running)`. A failure is written on the job for the page; an
    unexpected one is raised again for the worker's log."""
    running = claim(job_id, national=national, seconds=seconds)
    if running is None:
        return
    try:
        work(running)
    except Refused as exc:
        running.fail(str(exc))
    except Exception as exc:
        running.fail(str(exc) or exc.__class__.__name__)
        raise


class JobTask(DistrictTask):
    """The base of job tasks: acknowledged after they ran (a killed worker's message is
    redelivered) and, for a district's job, run inside that district (accounts.tenancy)."""

    abstract = True
    acks_late = True
    reject_on_worker_lost = True

    def __call__(self, *args, **kwargs):
        if "district_id" in kwargs:
            return super().__call__(*args, **kwargs)
        return super(DistrictTask, self).__call__(*args, district=None, **kwargs)


def retry(job: Job) -> bool:
    """The page's retry: a failed job, or one that waits for the queue or for a worker that is
    gone, is queued again and handed over."""
    now = timezone.now()
    rows = _rows(job.district_id is None).filter(pk=job.pk)
    again = rows.filter(status=JobStatus.FAILED).update(
        status=JobStatus.QUEUED,
        progress=0,
        message="",
        sent_at=None,
        finished_at=None,
        attempt_limit=F("attempts") + settings.JOB_ATTEMPTS,
    ) or rows.waiting_for_broker(now).update(status=JobStatus.QUEUED, sent_at=None)
    if not again:
        return False
    job.refresh_from_db()
    if current_app.conf.task_always_eager:
        hand_over(job)
    else:
        transaction.on_commit(lambda: hand_over(job))
    return True


def sweep() -> int:
    """Hand over again every job that waits for the broker or whose worker is gone (beat,
    every minute; safe to run anywhere and twice: the claim decides who works)."""
    now = timezone.now()
    handed = sum(hand_over(job) for job in Job.national.waiting_for_broker(now))
    for district in each_district(Job, status__in=[JobStatus.QUEUED, JobStatus.RUNNING]):
        for job in Job.objects.filter(district=district).waiting_for_broker(now):
            handed += hand_over(job)
    return handed
