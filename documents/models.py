"""What every feature app shares below it: background jobs, generated documents and stored
files. One of each, so that a new capability does not write its own copy.

- A `Job` is the database row of a piece of background work: created before it is queued,
  claimed by a conditional update, polled by the page through one status fragment.
- A `GeneratedDocument` is a PDF the portal rendered (a commitment's final PDF, an annual
  evaluation): versioned per source, stored with its SHA-256, size and page count, and its
  seal (documents/seal.py).
- `StoredFile` is the base of the files people upload (evidence, village report files, rembuk
  minutes and photos, follow-up evidence): stored under a random name, judged by its bytes,
  served only by views that check the district and role.
"""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("menunggu")
    RUNNING = "running", _("berjalan")
    DONE = "done", _("selesai")
    FAILED = "failed", _("gagal")


class JobQuerySet(models.QuerySet):
    def claimable(self, now):
        """Queued, or claimed by a worker that did not finish within its time limit (it was
        killed, or the request rendering it timed out). A job left running by an older
        version of the portal has no claim at all: it is claimable too."""
        return self.filter(Q(status=JobStatus.QUEUED) | _gone(now))

    def waiting_for_broker(self, now):
        """What the sweep (and the page's retry) hands over: a queued job never handed to the
        broker (it was down), or handed over longer ago than the broker keeps a message
        (JOB_HANDOVER_GRACE_SECONDS: a job waiting behind others in the queue is not lost);
        and a job whose worker is gone, unless it was handed over again since its claim
        expired. Oldest first: an import confirmed later must be applied later."""
        lost = now - timedelta(seconds=settings.JOB_HANDOVER_GRACE_SECONDS)
        queued = Q(status=JobStatus.QUEUED) & (Q(sent_at__isnull=True) | Q(sent_at__lt=lost))
        gone = _gone(now) & (
            Q(claimed_until__isnull=True)
            | Q(sent_at__isnull=True)
            | Q(sent_at__lt=F("claimed_until"))
        )
        return self.filter(queued | gone).order_by("created_at")


def _gone(now) -> Q:
    return Q(status=JobStatus.RUNNING) & (Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


class NationalJobManager(models.Manager.from_queryset(JobQuerySet)):
    """National jobs (no district): the region import."""

    def get_queryset(self):
        return super().get_queryset().filter(district__isnull=True)


class Job(models.Model):
    """One piece of background work and what the page shows of it.

    A job is claimed with a conditional update that also increments `attempts`; only the
    attempt that claimed it may finish it, so a worker presumed dead that wakes up later
    cannot write a second result."""

    Status = JobStatus

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=40)
    # None for national jobs (the region import)
    district = models.ForeignKey(
        "villages.District", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    message = models.CharField(max_length=300, blank=True)
    result = models.JSONField(default=dict, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # a job whose worker keeps dying (out of memory, a crash in the renderer) fails after this
    # many attempts instead of being handed over forever; the page's retry allows as many more
    attempt_limit = models.PositiveSmallIntegerField(default=3)
    created_at = models.DateTimeField(default=timezone.now)
    # when the job was handed to the broker (None: not yet, the broker did not answer)
    sent_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ScopedManager(
        district="district", _manager_class=models.Manager.from_queryset(JobQuerySet)
    )
    # national jobs have no district: national pages and the region import reach them here
    national = NationalJobManager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "claimed_until"])]

    def __str__(self):
        return f"{self.kind} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    @property
    def waits_for_queue(self) -> bool:
        return self.status == JobStatus.QUEUED and self.sent_at is None

    @property
    def is_stale(self) -> bool:
        """Running, but its worker (or the request rendering it) is gone: its claim expired."""
        return self.status == JobStatus.RUNNING and (
            self.claimed_until is None or self.claimed_until < timezone.now()
        )


def generated_path(instance, filename):
    return f"generated/{instance.district_id}/{uuid.uuid4().hex}.pdf"


class GeneratedDocument(models.Model):
    """A PDF the portal rendered: `version` n of one `source` (a commitment document version,
    a district's evaluation of a year), stored once with its SHA-256. Downloads serve these
    bytes; the verification page compares an upload with them."""

    class Kind(models.TextChoices):
        COMMITMENT = "commitment", _("dokumen komitmen")
        EVALUATION = "evaluation", _("evaluasi tahunan")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    district = models.ForeignKey("villages.District", on_delete=models.CASCADE, related_name="+")
    # what it was rendered from: "<app_label>.<model>" and its primary key
    source_type = models.CharField(max_length=60)
    source_id = models.CharField(max_length=64)
    version = models.PositiveIntegerField(default=1)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    file = models.FileField(upload_to=generated_path)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    pages = models.PositiveIntegerField(null=True, blank=True)
    # its seal (documents/seal.py, a PAdES signature): the certificate's name and when; empty
    # when the district had no certificate
    sealed_at = models.DateTimeField(null=True, blank=True)
    seal_subject = models.CharField(max_length=300, blank=True)

    objects = ScopedManager(district="district")

    class Meta:
        ordering = ["source_type", "source_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "source_type", "source_id", "version"],
                name="generated_document_once_per_version",
            )
        ]

    def __str__(self):
        return f"{self.kind} {self.source_id} v{self.version}"


def stored_path(instance, filename):
    """Unguessable names and no original name on disk: `<folder>/<district id>/<random>`."""
    return f"{instance.folder}/{instance.district_id}/{uuid.uuid4().hex}"


class StoredFile(models.Model):
    """The base of every uploaded file: stored under a random name (the uploader's name is
    only shown), judged by its bytes, with its size and SHA-256. Subclasses name their folder
    (`folder`) and add what they are attached to."""

    folder = "files"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    district = models.ForeignKey("villages.District", on_delete=models.CASCADE, related_name="+")
    file = models.FileField(upload_to=stored_path)
    original_name = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        abstract = True
        ordering = ["uploaded_at"]

    def __str__(self):
        return self.original_name
