"""Managers' screens for game sessions: open, start and close, the seat map, live top X, SSM state.

Every change goes through the services (which audit it); the admin itself never saves a session.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html, format_html_join
from django.views.decorators.http import require_POST

from alienportal.access import Capability, can
from alienportal.admin import AuditHistoryMixin, ReadOnlyAdmin
from alienportal.dates import when_html
from sessions.models import GameSession, GameType, Seat, SeatState, SessionPublication
from sessions.panels import session_panels_render
from sessions.selectors import publication_get, seat_map
from sessions.services import SessionError, seat_release, session_close, session_open, session_start
from sessions.services.lifecycle import MINUTES_MAX, MINUTES_MIN
from sessions.top_x import session_top_x


class OpenSessionForm(forms.Form):
    game_type = forms.ChoiceField(choices=GameType.choices, initial=GameType.MULTIPLE_TRIALS, widget=forms.RadioSelect)
    minutes = forms.IntegerField(
        required=False,
        min_value=MINUTES_MIN,
        max_value=MINUTES_MAX,
        help_text=f"Time-constrained only: the session closes by itself after {MINUTES_MIN}-{MINUTES_MAX} minutes.",
    )
    synchronized = forms.BooleanField(
        required=False, help_text="Single trial and time-constrained only: every player starts when you press Start."
    )
    total_seats = forms.IntegerField(min_value=1, initial=150)
    top_x = forms.IntegerField(min_value=1, initial=10, label="Top X")
    session_id = forms.CharField(
        required=False, max_length=64, label="Session name", help_text="Empty: generated, e.g. X181001T215808."
    )


class SeatInline(admin.TabularInline):
    model = Seat
    fields = ("nickname", "state", "games_played", "allocated_at", "finished_at")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> Any:
        # Each row's caption is the seat's __str__, which names the session: one query, not one a seat.
        return super().get_queryset(request).select_related("session")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(GameSession)
class GameSessionAdmin(AuditHistoryMixin, admin.ModelAdmin):
    list_display = (
        "session_id",
        "game_type",
        "state",
        "seats",
        "synchronized",
        "opened",
        "synchronized_at",
        "closed",
    )
    list_filter = ("game_type", "synchronized", ("closing_time", admin.EmptyFieldListFilter))
    search_fields = ("session_id",)
    date_hierarchy = "opening_time"
    actions = ("start_sessions", "close_sessions")
    inlines = (SeatInline,)
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "session_id",
                    "game_type",
                    "synchronized",
                    "time_limit_minutes",
                    "total_seats",
                    "top_x",
                    "opened_by",
                )
            },
        ),
        ("Times", {"fields": ("opened", "synchronized_at", "closes", "closed")}),
        ("Seat map", {"fields": ("seat_map_display",)}),
        ("Live top X", {"fields": ("top_x_display",)}),
        ("SSM", {"fields": ("ssm_display",)}),
    )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Sessions change only through the lifecycle services (audited), never through the form.
        return [str(field) for _, options in self.fieldsets or () for field in options["fields"]]

    # --- permissions: managers control sessions, support may look -------------------------
    # Roles come from Cognito groups, not Django model permissions, so each check asks the policy.
    def has_module_permission(self, request: HttpRequest) -> bool:
        return can(request, Capability.LOOK_UP_PLAYERS) or super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return can(request, Capability.LOOK_UP_PLAYERS) or super().has_view_permission(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return can(request, Capability.RUN_SESSIONS)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the form is read-only; start/close are their own operations

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a session's history (seats, standings, audit) outlives it

    def has_manage_permission(self, request: HttpRequest) -> bool:
        return can(request, Capability.RUN_SESSIONS)

    # --- list columns and read-only sections ----------------------------------------------
    # Times in the viewer's zone and the portal's one format, ISO 8601 on hover (alienportal.dates).
    @admin.display(description="opening time", ordering="opening_time")
    def opened(self, session: GameSession) -> str:
        return when_html(session.opening_time)

    @admin.display(description="synchronize time", ordering="synchronize_time")
    def synchronized_at(self, session: GameSession) -> str:
        return when_html(session.synchronize_time)

    @admin.display(description="closes at (time limit)")
    def closes(self, session: GameSession) -> str:
        return when_html(session.closes_at)

    @admin.display(description="closing time", ordering="closing_time")
    def closed(self, session: GameSession) -> str:
        return when_html(session.closing_time)

    @admin.display(description="state")
    def state(self, session: GameSession) -> str:
        return "open" if session.is_open else "closed"

    @admin.display(description="seats taken")
    def seats(self, session: GameSession) -> str:
        return f"{session.occupied_seats} / {session.total_seats}"

    @admin.display(description="seats")
    def seat_map_display(self, session: GameSession) -> str:
        seats = seat_map(session=session)
        return format_html(
            '<div id="seat-map"><p><strong>{}</strong> playing, <strong>{}</strong> free of {} seats; '
            "{} finished.</p><p>Playing: {}</p><p>Finished: {}</p></div>",
            seats["occupied"],
            seats["free"],
            seats["total"],
            len(seats["finished"]),
            ", ".join(seats["playing"]) or "nobody",
            ", ".join(seats["finished"]) or "nobody",
        )

    @admin.display(description="top X")
    def top_x_display(self, session: GameSession) -> str:
        rows = session_top_x(session=session)
        if rows is None:
            return "Standings are not available yet."
        if not rows:
            return "No scores yet."
        body = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (rank, row.get("Nickname"), row.get("Score"), row.get("Lives"), row.get("Shots"))
                for rank, row in enumerate(rows, start=1)
            ),
        )
        return format_html(
            '<table id="top-x"><tr><th>#</th><th>Nickname</th><th>Score</th><th>Lives</th><th>Shots</th></tr>'
            "{}</table>",
            body,
        )

    @admin.display(description="SSM publication")
    def ssm_display(self, session: GameSession) -> str:
        publication = publication_get()
        return format_html(
            '<span id="ssm-publication">{}: {}; last published {}{}</span>',
            settings.SSM_SESSION_PARAMETER,
            "not up to date, retrying" if publication.is_pending else "up to date",
            when_html(publication.published_at, empty="never"),
            format_html("; last error at {}: {}", when_html(publication.last_attempt_at), publication.last_error)
            if publication.last_error
            else "",
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra = {"publication": publication_get(), "ssm_parameter": settings.SSM_SESSION_PARAMETER}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra: dict[str, Any] = {"can_manage": can(request, Capability.RUN_SESSIONS)}
        session = self.get_object(request, object_id)
        if session is not None and self.has_view_permission(request, session):
            # Sections other apps add (e.g. the scoreboard's discarded records), through sessions.panels.
            extra["session_panels"] = session_panels_render(request=request, session=session)
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def audit_targets(self, obj: Any) -> list[tuple[str, list[str]]]:
        # A session's History includes what was done to its seats (releases, extra games).
        seat_pks = [str(pk) for pk in Seat.objects.filter(session=obj).values_list("pk", flat=True)]
        return [*super().audit_targets(obj), (Seat._meta.label, seat_pks)]

    # --- open: the "add" page is the open-session form ------------------------------------
    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if not can(request, Capability.RUN_SESSIONS):
            raise PermissionDenied
        form = OpenSessionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                session = session_open(
                    manager=request.user,
                    game_type=data["game_type"],
                    total_seats=data["total_seats"],
                    top_x=data["top_x"],
                    minutes=data["minutes"],
                    synchronized=data["synchronized"],
                    session_id=data["session_id"] or None,
                )
            except SessionError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, f"Session {session.session_id} is open.", messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:game_sessions_gamesession_change", args=[session.pk]))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Open a session",
            "form": form,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/game_sessions/gamesession/open_session.html", context)

    # --- start / close: buttons on the session page, and list actions ---------------------
    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "<int:pk>/start/", self.admin_site.admin_view(self.start_view), name="game_sessions_gamesession_start"
            ),
            path(
                "<int:pk>/close/", self.admin_site.admin_view(self.close_view), name="game_sessions_gamesession_close"
            ),
        ]
        return own + super().get_urls()

    def _lifecycle(self, request: HttpRequest, pk: int, operation: Any, done: str) -> HttpResponse:
        if not can(request, Capability.RUN_SESSIONS):
            raise PermissionDenied
        session = get_object_or_404(GameSession, pk=pk)
        try:
            operation(manager=request.user, session=session)
        except SessionError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, f"Session {session.session_id} {done}.", messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:game_sessions_gamesession_change", args=[pk]))

    def start_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        return require_POST(lambda r: self._lifecycle(r, pk, session_start, "started"))(request)

    def close_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """Ask first (GET, or a POST without `confirm`); close only on a confirmed POST."""
        if not can(request, Capability.RUN_SESSIONS):
            raise PermissionDenied
        if request.method == "POST" and request.POST.get("confirm") == "yes":
            return self._lifecycle(request, pk, session_close, "closed")
        if request.method not in ("GET", "HEAD", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        return self._close_confirmation(request, [get_object_or_404(GameSession, pk=pk)], from_list=False)

    def _close_confirmation(
        self, request: HttpRequest, sessions: list[GameSession], *, from_list: bool
    ) -> HttpResponse:
        # Closing cannot be undone: every game in progress ends and the game is told through SSM.
        one = sessions[0] if len(sessions) == 1 else None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"Close session {one.session_id}?" if one else f"Close {len(sessions)} sessions?",
            "subtitle": None,
            "sessions": sessions,
            "session": one,
            "from_list": from_list,
            "playing": sum(session.occupied_seats for session in sessions),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/game_sessions/gamesession/close_confirmation.html", context)

    def _each(self, request: HttpRequest, queryset: QuerySet[GameSession], operation: Any, done: str) -> None:
        for session in queryset.order_by("pk"):
            try:
                operation(manager=request.user, session=session)
            except SessionError as exc:
                self.message_user(request, str(exc), messages.WARNING)
            else:
                self.message_user(request, f"Session {session.session_id} {done}.", messages.SUCCESS)

    @admin.action(description="Start the selected synchronized sessions now", permissions=["manage"])
    def start_sessions(self, request: HttpRequest, queryset: QuerySet[GameSession]) -> None:
        self._each(request, queryset, session_start, "started")

    @admin.action(description="Close the selected sessions", permissions=["manage"])
    def close_sessions(self, request: HttpRequest, queryset: QuerySet[GameSession]) -> HttpResponse | None:
        # Like the admin's delete action: an intermediate page first, the work only on its confirmed POST.
        if request.POST.get("confirm") == "yes":
            self._each(request, queryset, session_close, "closed")
            return None
        open_sessions = list(queryset.filter(closing_time__isnull=True).order_by("pk"))
        if not open_sessions:
            self.message_user(request, "None of the selected sessions is open.", messages.WARNING)
            return None
        return self._close_confirmation(request, open_sessions, from_list=True)


@admin.register(Seat)
class SeatAdmin(ReadOnlyAdmin):
    """Seats across sessions, for finding a player and freeing a seat a crashed game kept."""

    list_display = ("nickname", "session", "state", "games_played", "allocated_at", "finished_at")
    list_filter = ("state", "session__game_type")
    search_fields = ("nickname", "session__session_id")
    list_select_related = ("session",)
    readonly_fields = list_display
    actions = ("release_seats",)
    view_capability = Capability.LOOK_UP_PLAYERS

    def has_release_permission(self, request: HttpRequest) -> bool:
        return can(request, Capability.RELEASE_SEATS)

    @admin.action(description="Release the selected seats (the player's game is over)", permissions=["release"])
    def release_seats(self, request: HttpRequest, queryset: QuerySet[Seat]) -> None:
        released = 0
        # Sessions in pk order: every release locks its session row, and one order avoids deadlocks.
        for seat in queryset.filter(state=SeatState.PLAYING).select_related("session").order_by("session_id", "pk"):
            released += seat_release(actor=request.user, session=seat.session, nickname=seat.nickname)
        self.message_user(request, f"Released {released} seat(s).", messages.SUCCESS)


@admin.register(SessionPublication)
class SessionPublicationAdmin(ReadOnlyAdmin):
    """Where publishing the current session to SSM stands: last success, last error."""

    list_display = ("__str__", "is_pending", "published_at", "last_attempt_at", "failed_attempts", "last_error")
    readonly_fields = (
        "desired_document",
        "desired_version",
        "published_version",
        "published_at",
        "last_attempt_at",
        "failed_attempts",
        "last_error",
    )
    view_capability = Capability.RUN_SESSIONS

    @admin.display(boolean=True, description="pending")
    def is_pending(self, publication: SessionPublication) -> bool:
        return publication.is_pending
