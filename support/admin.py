"""The support desk in the admin: ticket lists with saved views and SLA colours, and the ticket page.

Every change goes through support.services (locked, audited); the admin only parses and shows.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import URLPattern, path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from alienportal.access import Capability
from alienportal.admin import AuditHistoryMixin, PolicyAdmin
from scoreboard.cheats import thresholds_from_settings
from scoreboard.models import CheatRules
from sessions.models import ONE_GAME_TYPES, GameSession
from support.access import may_work_tickets
from support.errors import DomainError, Invalid
from support.models import CannedReply, SlaPolicy, Status, Ticket, TicketQuerySet
from support.selectors import SAVED_VIEW_LABELS, Clock, SavedView, desk_summary, ticket_sla, tickets_view
from support.services import (
    TRANSITIONS,
    canned_reply_render,
    ticket_assign,
    ticket_note,
    ticket_open,
    ticket_reply,
    ticket_transition,
    ticket_update,
)
from support.services.actions import (
    ticket_dead_letters_replay,
    ticket_extra_game_grant,
    ticket_extra_game_revoke,
    ticket_seat_release,
    ticket_standing_hide,
    ticket_standing_show,
)
from support.services.canned import PLACEHOLDERS, canned_body_check
from support.services.cheating import ticket_flag_dismiss
from support.story import player_story

CLOCK_CLASS = {
    Clock.BREACHED: "sla-breached",
    Clock.MISSED: "sla-breached",
    Clock.DUE_SOON: "sla-due-soon",
    Clock.ON_TIME: "sla-on-time",
    Clock.MET: "sla-met",
    Clock.PAUSED: "sla-paused",
}
CLOCK_STYLE = {
    "sla-breached": "background:#ba2121;color:#fff",
    "sla-due-soon": "background:#f5a623;color:#000",
    "sla-on-time": "background:#e8f4e8;color:#205020",
    "sla-met": "background:#e8f4e8;color:#205020",
    "sla-paused": "background:#eee;color:#555",
}


def _clock_badge(clock: Clock, due: Any) -> str:
    css = CLOCK_CLASS[clock]
    return format_html(
        '<span class="sla-badge {}" style="{};padding:1px 6px;border-radius:3px">{}</span> <small>due {}</small>',
        css,
        CLOCK_STYLE[css],
        clock.value,
        timezone.localtime(due).strftime("%Y-%m-%d %H:%M"),
    )


class SavedViewFilter(admin.SimpleListFilter):
    title = "saved view"
    parameter_name = "view"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(view.value, label) for view, label in SAVED_VIEW_LABELS.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
        if self.value() in SavedView._value2member_map_:
            # get_queryset's for_user() result: a TicketQuerySet, whatever the admin's annotation says.
            tickets = cast(TicketQuerySet, queryset)
            return tickets_view(queryset=tickets, view=str(self.value()), user=request.user)
        return queryset


def desk_staff() -> QuerySet[Any]:
    """People who may be given a ticket: active staff who work tickets."""
    users = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("username")
    return users.filter(pk__in=[user.pk for user in users if may_work_tickets(user)])


class TicketAddForm(forms.ModelForm):
    class Meta:
        model = Ticket
        fields = ("nickname", "session", "subject", "description", "category", "priority", "assignee")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = forms.ModelChoiceField(queryset=desk_staff(), required=False)


class TicketChangeForm(forms.ModelForm):
    class Meta:
        model = Ticket
        fields = ("subject", "description", "category", "priority")


class ReplyForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 5, "cols": 80}), max_length=10_000)
    wait_on_player = forms.BooleanField(required=False, label="and wait on the player")


class NoteForm(forms.Form):
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 80}), max_length=10_000)


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Status.choices)
    reason = forms.CharField(required=False, max_length=2000)


class AssignForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = forms.ModelChoiceField(queryset=desk_staff(), required=False)


@admin.register(Ticket)
class TicketAdmin(AuditHistoryMixin, PolicyAdmin):
    list_display = ("id", "subject", "nickname", "category", "priority", "status", "assignee", "sla", "created_at")
    list_display_links = ("id", "subject")
    list_filter = (SavedViewFilter, "status", "category", "priority", "source")
    search_fields = ("nickname", "subject", "session__session_id")
    list_select_related = ("assignee", "session")
    readonly_fields = (
        "nickname",
        "session",
        "status",
        "assignee",
        "source",
        "opened_by",
        "created_at",
        "sla_first_response",
        "sla_resolution",
    )
    change_form_template = "admin/support/ticket/change_form.html"
    change_list_template = "admin/support/ticket/change_list.html"

    # --- who may: the desk (support and managers); nobody deletes a ticket -----------------
    def get_queryset(self, request: HttpRequest) -> QuerySet[Ticket]:
        return Ticket.objects.for_user(request.user).select_related("assignee", "session")

    view_capability = change_capability = Capability.WORK_TICKETS

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a ticket is the record of what the desk told a player

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        return {}

    # --- forms: adding opens through ticket_open, editing through ticket_update -------------
    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any) -> Any:
        kwargs["form"] = TicketChangeForm if obj is not None else TicketAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return TicketAddForm.Meta.fields
        return (*TicketChangeForm.Meta.fields, *self.readonly_fields)

    def save_model(self, request: HttpRequest, obj: Ticket, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            ticket_update(
                actor=request.user,
                ticket=obj,
                subject=data["subject"],
                description=data["description"],
                category=data["category"],
                priority=data["priority"],
            )
            return
        opened = ticket_open(
            actor=request.user,
            nickname=data["nickname"],
            subject=data["subject"],
            description=data["description"],
            category=data["category"],
            priority=data["priority"],
            session=data["session"],
            assignee=data["assignee"],
        )
        obj.pk = opened.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # no relations are edited on the form

    def log_addition(self, *args: Any, **kwargs: Any) -> Any:
        return None  # the audit log (ticket.open) is the record

    def log_change(self, *args: Any, **kwargs: Any) -> Any:
        return None  # the audit log (ticket.update) is the record

    # --- list columns ----------------------------------------------------------------------
    @admin.display(description="SLA")
    def sla(self, ticket: Ticket) -> str:
        state = ticket_sla(ticket=ticket)
        if state.first_response not in (Clock.MET, Clock.MISSED) and state.first_response != Clock.PAUSED:
            return _clock_badge(state.first_response, state.first_response_due_at)
        return _clock_badge(state.worst, state.resolution_due_at)

    @admin.display(description="first response")
    def sla_first_response(self, ticket: Ticket) -> str:
        state = ticket_sla(ticket=ticket)
        return _clock_badge(state.first_response, state.first_response_due_at)

    @admin.display(description="resolution")
    def sla_resolution(self, ticket: Ticket) -> str:
        state = ticket_sla(ticket=ticket)
        return _clock_badge(state.resolution, state.resolution_due_at)

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        extra = {"summary": desk_summary(), "saved_views": SAVED_VIEW_LABELS.items()}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    # --- the ticket page: thread, reply / note / status / assign --------------------------
    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        ticket = get_object_or_404(self.get_queryset(request), pk=object_id)
        extra = self._ticket_context(request, ticket)
        return super().change_view(request, object_id, form_url, {**extra, **(extra_context or {})})

    def _ticket_context(self, request: HttpRequest, ticket: Ticket) -> dict[str, Any]:
        reply = ReplyForm()
        canned_id = request.GET.get("canned")
        if canned_id and canned_id.isdigit():
            canned = CannedReply.objects.filter(pk=int(canned_id)).first()
            if canned is not None:
                reply = ReplyForm(initial={"body": canned_reply_render(canned=canned, ticket=ticket)})
        assign = AssignForm(initial={"assignee": ticket.assignee_id})
        return {
            "ticket": ticket,
            "thread": ticket.messages.select_related("author"),
            "reply_form": reply,
            "note_form": NoteForm(),
            "assign_form": assign,
            "canned_replies": CannedReply.objects.all(),
            "moves": [Status(to) for to in Status if to in TRANSITIONS[ticket.status]],
            "story": player_story(ticket=ticket),
            "actions": True,
            "one_game_types": list(ONE_GAME_TYPES),
        }

    def get_urls(self) -> list[URLPattern]:
        def own(route: str, view: Any, name: str) -> URLPattern:
            return path(route, self.admin_site.admin_view(require_POST(view)), name=f"support_ticket_{name}")

        def desk(name: str) -> Any:
            return lambda request, pk: self.desk_view(request, pk, name)

        return [
            *(own(f"<int:pk>/{name.replace('_', '-')}/", desk(name), name) for name in DESK_WORK),
            own("<int:pk>/act/<str:action>/", self.action_view, "act"),
            *super().get_urls(),
        ]

    def _work(self, request: HttpRequest, pk: int, form_class: Any, operation: Any, done: str) -> HttpResponse:
        if not may_work_tickets(request.user):
            raise PermissionDenied
        ticket = get_object_or_404(self.get_queryset(request), pk=pk)
        form = form_class(request.POST)
        if not form.is_valid():
            errors = "; ".join(f"{field}: {' '.join(errs)}" for field, errs in form.errors.items())
            self.message_user(request, f"Nothing done. {errors}", messages.ERROR)
        else:
            try:
                operation(ticket, form.cleaned_data)
            except DomainError as exc:
                self.message_user(request, exc.message, messages.ERROR)
            else:
                self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:support_ticket_change", args=[pk]))

    def desk_view(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        form_class, operation, done = DESK_WORK[name]
        return self._work(request, pk, form_class, lambda t, d: operation(request.user, t, d), done)

    def action_view(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        if action not in ACTIONS:
            raise Http404("No such action.")
        service, needs_session, done = ACTIONS[action]

        def run(ticket: Ticket, data: dict[str, Any]) -> None:
            if needs_session and data["session"] is None:
                raise Invalid("Choose the session.", code="SessionMissing")
            extra = {"session": data["session"]} if needs_session else {}
            service(actor=request.user, ticket=ticket, reason=data["reason"], **extra)

        return self._work(request, pk, ActionForm, run, done)


ACTIONS: dict[str, tuple[Any, bool, str]] = {
    # name: (service, needs a session, what the desk is told when it is done)
    "seat_release": (ticket_seat_release, True, "Seat released."),
    "extra_game_grant": (ticket_extra_game_grant, True, "The player may play once more."),
    "extra_game_revoke": (ticket_extra_game_revoke, True, "Extra game taken back."),
    "dead_letters_replay": (ticket_dead_letters_replay, False, "Dead letters replayed."),
    "standing_hide": (ticket_standing_hide, True, "Standing hidden from the rankings."),
    "standing_show": (ticket_standing_show, True, "Standing shown in the rankings again."),
}


class ActionForm(forms.Form):
    reason = forms.CharField(max_length=2000)
    session = forms.ModelChoiceField(queryset=GameSession.objects.all(), required=False)


class DismissFlagForm(forms.Form):
    flag = forms.IntegerField(min_value=1)
    reason = forms.CharField(max_length=2000)


# The desk's other forms on a ticket's page, each posted to <pk>/<name>/ (dashes for underscores):
# name: (form, the service it calls as (actor, ticket, cleaned data), what the desk is told when done).
DESK_WORK: dict[str, tuple[type[forms.Form], Callable[[Any, Ticket, dict[str, Any]], object], str]] = {
    "reply": (
        ReplyForm,
        lambda actor, t, d: ticket_reply(actor=actor, ticket=t, body=d["body"], wait_on_player=d["wait_on_player"]),
        "Reply sent to the player.",
    ),
    "note": (
        NoteForm,
        lambda actor, t, d: ticket_note(actor=actor, ticket=t, body=d["body"]),
        "Internal note added (the player does not see it).",
    ),
    "transition": (
        TransitionForm,
        lambda actor, t, d: ticket_transition(actor=actor, ticket=t, to=d["to"], reason=d["reason"]),
        "Status changed.",
    ),
    "assign": (
        AssignForm,
        lambda actor, t, d: ticket_assign(actor=actor, ticket=t, assignee=d["assignee"]),
        "Assignment changed.",
    ),
    "dismiss_flag": (
        DismissFlagForm,
        lambda actor, t, d: ticket_flag_dismiss(actor=actor, ticket=t, flag_pk=d["flag"], reason=d["reason"]),
        "Flag dismissed: that rule stays quiet for this player and session.",
    ),
}


class CannedReplyForm(forms.ModelForm):
    class Meta:
        model = CannedReply
        fields = ("title", "body")
        help_texts = {"body": "Placeholders: " + ", ".join("{" + name + "}" for name in PLACEHOLDERS)}

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        try:
            canned_body_check(body=body)
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from exc
        return str(body)


@admin.register(CannedReply)
class CannedReplyAdmin(PolicyAdmin):
    """Canned replies: the desk reads and uses them, managers write them."""

    form = CannedReplyForm
    list_display = ("title", "body")
    search_fields = ("title", "body")
    view_capability = Capability.WORK_TICKETS
    change_capability = Capability.CONFIGURE_SUPPORT


@admin.register(SlaPolicy)
class SlaPolicyAdmin(PolicyAdmin):
    """SLA targets per priority: only managers change them (settings.SUPPORT_SLA_MINUTES otherwise)."""

    list_display = ("priority", "first_response_minutes", "resolution_minutes")
    view_capability = change_capability = Capability.CONFIGURE_SUPPORT


@admin.register(CheatRules)
class CheatRulesAdmin(AuditHistoryMixin, PolicyAdmin):
    """The cheat rules' thresholds (one row): only managers change them (settings.CHEAT_* otherwise)."""

    list_display = ("__str__", "max_shots_per_second", "points_per_hit", "level_bonus", "updated_at")
    view_capability = change_capability = Capability.CONFIGURE_SUPPORT

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return thresholds_from_settings()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not CheatRules.objects.exists()  # one row
