"""What the raw archive keeps in the database: per-shard upload state, and the replays managers ran."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from scoreboard.models import SequenceNumberField, ShardLease


class ArchiveShardState(models.Model):
    """The archive consumer's progress on one shard, beside its lease (whose checkpoint is the last upload).

    `pending_*` is set, fenced, BEFORE an object is put and cleared with the checkpoint after it
    landed: a worker that dies between the two leaves the range here, and the next holder
    re-uploads exactly that range under exactly that key (an overwrite), so S3 never holds a
    record twice whatever the timing of a crash.
    """

    lease = models.OneToOneField(ShardLease, on_delete=models.CASCADE, related_name="archive_state")
    pending_key = models.CharField(max_length=1024, blank=True, default="")
    pending_last_sequence = SequenceNumberField(null=True, blank=True)
    last_key = models.CharField(max_length=1024, blank=True, default="")
    last_upload_at = models.DateTimeField(null=True, blank=True)
    objects_uploaded = models.BigIntegerField(default=0)
    records_archived = models.BigIntegerField(default=0)
    bytes_archived = models.BigIntegerField(default=0)
    upload_failures = models.BigIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True, default="")
    # Arrival time of the oldest record read but not yet in S3 (None: nothing buffered), and
    # how far the last GetRecords was behind the tip: together, the archive's lag.
    oldest_unarchived_at = models.DateTimeField(null=True, blank=True)
    millis_behind_latest = models.BigIntegerField(null=True, blank=True)
    measured_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"archive state of {self.lease_id}"


class ReplayStatus(models.TextChoices):
    QUEUED = "queued", "queued"
    RUNNING = "running", "running"
    DONE = "done", "done"
    FAILED = "failed", "failed"


class ArchiveReplay(models.Model):
    """A replay of the archive a manager asked for (admin), with its progress and summary."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    session_id = models.CharField("session id", max_length=64, blank=True, default="")
    since = models.DateTimeField(null=True, blank=True)
    until = models.DateTimeField(null=True, blank=True)
    dry_run = models.BooleanField(default=True)
    status = models.CharField(max_length=16, choices=ReplayStatus.choices, default=ReplayStatus.QUEUED)
    objects_read = models.BigIntegerField(default=0)
    objects_total = models.BigIntegerField(default=0)
    summary = models.JSONField(default=dict, blank=True)
    report = models.TextField(blank=True, default="")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        what = self.session_id or "everything"
        return f"replay of {what} ({'dry run' if self.dry_run else 'write'}, {self.status})"


class ReconciliationRun(models.Model):
    """One comparison of a session's Redis index, PostgreSQL standings and a replay of the archive.

    Written by `manage.py archive_reconcile` and by beat once a closed session's records must all
    be in S3 (ARCHIVE_RECONCILE_AFTER_SECONDS after closing); the health dashboard and the reports
    API show the latest ones.
    """

    session = models.ForeignKey("game_sessions.GameSession", on_delete=models.CASCADE, related_name="+")
    checked_at = models.DateTimeField()
    ok = models.BooleanField()
    players = models.IntegerField(default=0)
    archive_records = models.BigIntegerField(default=0)
    archive_objects = models.IntegerField(default=0)
    differences = models.IntegerField(default=0)
    first_difference = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["-checked_at"]
        indexes = [models.Index(fields=["session", "-checked_at"], name="reconciliation_session_idx")]

    def __str__(self) -> str:
        verdict = "agree" if self.ok else f"{self.differences} difference(s)"
        return f"reconciliation of {self.session.session_id} at {self.checked_at:%Y-%m-%d %H:%M}: {verdict}"
