"""Admin pages of the pipeline: dead letters (inspect, replay), shard leases and worker heartbeats (read-only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from alienportal.access import Capability, can
from alienportal.admin import ReadOnlyAdmin
from scoreboard.models import DeadLetter, ShardLease, WorkerHeartbeat
from scoreboard.services import dead_letters_replay

HEX_ROW_BYTES = 16


def payload_hex_dump(data: bytes) -> str:
    """Return `data` as offset, hex bytes and printable ASCII, 16 bytes a line (like `hexdump -C`)."""
    lines = []
    for offset in range(0, len(data), HEX_ROW_BYTES):
        row = data[offset : offset + HEX_ROW_BYTES]
        ascii_ = "".join(chr(byte) if 0x20 <= byte < 0x7F else "." for byte in row)
        lines.append(f"{offset:08x}  {row.hex(' '):<{HEX_ROW_BYTES * 3 - 1}}  |{ascii_}|")
    return "\n".join(lines)


def payload_text(data: bytes) -> str:
    """Return `data` as text: UTF-8 where it decodes, every other byte and control character escaped."""
    text = data.decode("utf-8", errors="backslashreplace")
    return "".join(char if char.isprintable() or char in "\n\t" else f"\\x{ord(char):02x}" for char in text)


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    view_capability = Capability.VIEW_HEALTH
    list_display = (
        "created_at",
        "reason",
        "session_id",
        "shard_id",
        "sequence_number",
        "payload_preview",
        "replayed_at",
    )
    list_filter = ("reason", ("replayed_at", admin.EmptyFieldListFilter), "session_id")
    search_fields = ("session_id", "reason", "detail")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    readonly_fields = (
        "created_at",
        "reason",
        "detail",
        "session_id",
        "shard_id",
        "sequence_number",
        "replayed_at",
        "payload_length",
        "payload_as_text",
        "payload_as_hex",
    )
    exclude = ("data",)
    actions = ["replay"]

    @admin.display(description="payload")
    def payload_preview(self, letter: DeadLetter) -> str:
        text = payload_text(bytes(letter.data)[:80])
        return text if len(letter.data) <= 80 else f"{text}…"

    @admin.display(description="payload bytes")
    def payload_length(self, letter: DeadLetter) -> int:
        return len(letter.data)

    # Raw bytes from the stream are hostile input: shown escaped, as text inside <pre>, never as HTML.
    @admin.display(description="payload as text")
    def payload_as_text(self, letter: DeadLetter) -> str:
        return format_html('<pre class="dead-letter-payload">{}</pre>', payload_text(bytes(letter.data)))

    @admin.display(description="payload as hex")
    def payload_as_hex(self, letter: DeadLetter) -> str:
        return format_html('<pre class="dead-letter-hex">{}</pre>', payload_hex_dump(bytes(letter.data)))

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return can(request, Capability.REPLAY_DEAD_LETTERS)

    @admin.action(description="Replay the selected dead letters", permissions=["replay"])
    def replay(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        pks = list(queryset.filter(replayed_at__isnull=True).values_list("pk", flat=True))
        summary = dead_letters_replay(actor=request.user, pks=pks, limit=max(1, len(pks)))
        still = ", ".join(f"{reason}: {count}" for reason, count in sorted(summary.reasons.items()))
        level = messages.SUCCESS if not summary.still_dead else messages.WARNING
        self.message_user(
            request,
            f"Replayed {summary.replayed} of {summary.examined} dead letters"
            + (f"; still dead ({still})." if summary.still_dead else "."),
            level,
        )


@admin.register(ShardLease)
class ShardLeaseAdmin(ReadOnlyAdmin):
    view_capability = Capability.VIEW_HEALTH
    list_display = (
        "stream_name",
        "shard_id",
        "consumer",
        "stream_created_at",
        "owner",
        "expires_at",
        "counter",
        "checkpoint",
        "checkpoint_at",
        "finished",
        "retired_at",
    )
    # Retired leases are an earlier incarnation of the stream (deleted and created again): history.
    list_filter = ("stream_name", "consumer", "finished", ("retired_at", admin.EmptyFieldListFilter))
    search_fields = ("shard_id", "owner")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in ShardLease._meta.fields]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(ReadOnlyAdmin):
    view_capability = Capability.VIEW_HEALTH
    list_display = ("worker", "shard_id", "beat_at", "started_at")
    search_fields = ("worker", "shard_id")
    ordering = ("-beat_at",)
    date_hierarchy = "beat_at"

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [field.name for field in WorkerHeartbeat._meta.fields]
