"""Who may open what: the one table the permission matrix test (tests/alienportal/auth) checks.

Every URL pattern the project exposes must match a rule here, or the matrix test fails: a new
page or endpoint cannot ship without someone deciding who may use it. Rules are tried in order;
the first whose glob matches the full route (as Django prints it, e.g.
"admin/auth/user/<path:object_id>/change/") wins. To add an app's pages, add rows, e.g.:

    Rule("v1/session/", api(player_token=OPEN, rest_client=403)),
    Rule("admin/game_sessions/gamesession/*", page(support=403)),

Expectations: an HTTP status, SIGN_IN (302 to the sign-in flow) or OPEN (the view's own answer:
anything below 500 that is not SIGN_IN, 401 or 403, e.g. 200, 302 elsewhere, 404, 405).
Requests are GETs with the sample values below for path parameters; an admin object page gets
the pk of its model's first object (see sample_objects_create).
"""

from __future__ import annotations

from dataclasses import dataclass, field

ANONYMOUS = "anonymous"
PLAYER = "player"  # signed in through the provider, Cognito group Players
PLAYER_TOKEN = "player_token"  # game client with a Players access token
NO_ROLE = "no_role"  # signed in through the provider, in no portal group
SUPPORT = "support"
MANAGER = "manager"
REST_CLIENT = "rest_client"  # reports app client, access token with scope reports/read
SUPERUSER = "superuser"  # local break-glass superuser, password sign-in
ROLES = (ANONYMOUS, PLAYER, PLAYER_TOKEN, NO_ROLE, SUPPORT, MANAGER, REST_CLIENT, SUPERUSER)

SIGN_IN = "sign-in"
OPEN = "open"

SAMPLE_KWARGS = {"object_id": "1", "id": "1", "content_type_id": "1", "app_label": "auth", "url": "no-such-page/"}
# Dash routes (reports.dashboards) are checked with the cost app, the one support may not open, so
# every Dash URL's refusal is in the matrix; tests/reports/dashboards check each app per role.
DASH_KWARGS = {
    "ident": "cost",
    "component": "dash",
    "cpe2": "dash-renderer",
    "resource": "dash_renderer.min.js",
    "path": "style.css",
}


def sample_objects_create() -> None:
    """Create an object of each model the admin shows, so its object pages are really tested.

    (A missing object makes the admin redirect before it checks permissions, which would hide
    what a role may do.) The test opens admin object pages with the model's first object; users
    and identities are created by the matrix test itself.
    """
    from django.contrib.auth.models import Group
    from django.utils import timezone
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    Group.objects.create(name="Sample group")
    interval = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.SECONDS)
    CrontabSchedule.objects.create()
    SolarSchedule.objects.create(event="sunrise", latitude=0, longitude=0)
    ClockedSchedule.objects.create(clocked_time=timezone.now())
    PeriodicTask.objects.create(name="sample", task="sample.task", interval=interval)

    from alienportal.audit import audit_record
    from sessions.models import GameType
    from sessions.services import seat_allocate, session_open

    session = session_open(manager=None, game_type=GameType.MULTIPLE_TRIALS)
    seat_allocate(nickname="sample-player")
    audit_record(actor=None, action="sample", target=session, before=None, after=None)

    from scoreboard.models import DeadLetter, ShardLease, WorkerHeartbeat

    ShardLease.objects.create(stream_name="sample-stream", shard_id="shardId-000000000000")
    WorkerHeartbeat.objects.create(worker="sample-worker", beat_at=timezone.now(), started_at=timezone.now())
    DeadLetter.objects.create(shard_id="shardId-000000000000", sequence_number=1, data=b"{", reason="malformed_json")
    from support.models import CannedReply, SlaPolicy
    from support.services import ticket_open

    ticket_open(actor=None, nickname="sample-player", subject="sample", session=session)
    CannedReply.objects.create(title="sample", body="Hello {nickname}")
    SlaPolicy.objects.create(priority="LOW", first_response_minutes=60, resolution_minutes=600)
    from scoreboard.cheats import Limits
    from scoreboard.models import CheatRules

    limits = Limits.from_settings()
    CheatRules.objects.create(
        max_shots_per_second=limits.max_shots_per_second,
        fire_rate_slack_shots=limits.fire_rate_slack_shots,
        points_per_hit=limits.points_per_hit,
        level_bonus=limits.level_bonus,
        invaders_per_level=limits.invaders_per_level,
        min_status_interval_ms=10,
        clock_skew_seconds=5,
    )

    from scoreboard.archive.models import ArchiveReplay, ReconciliationRun

    ArchiveReplay.objects.create(session_id=session.session_id)
    ReconciliationRun.objects.create(session=session, checked_at=timezone.now(), ok=True)


@dataclass(frozen=True)
class Rule:
    glob: str
    expect: dict[str, int | str]
    kwargs: dict[str, str] = field(default_factory=dict)  # overrides of SAMPLE_KWARGS


def page(*, support: int | str = OPEN, manager: int | str = OPEN, superuser: int | str = OPEN) -> dict[str, int | str]:
    """A portal page: sign-in for strangers and tokens, 403 for players and people without a role."""
    return {
        ANONYMOUS: SIGN_IN,
        PLAYER: 403,
        PLAYER_TOKEN: SIGN_IN,
        NO_ROLE: 403,
        SUPPORT: support,
        MANAGER: manager,
        REST_CLIENT: SIGN_IN,
        SUPERUSER: superuser,
    }


def api(
    *,
    player_token: int | str = 403,
    support: int | str = OPEN,
    manager: int | str = OPEN,
    rest_client: int | str = OPEN,
    superuser: int | str = OPEN,
) -> dict[str, int | str]:
    """An API endpoint: 401 without credentials, 403 for player sessions and people without a role."""
    return {
        ANONYMOUS: 401,
        PLAYER: 403,
        PLAYER_TOKEN: player_token,
        NO_ROLE: 403,
        SUPPORT: support,
        MANAGER: manager,
        REST_CLIENT: rest_client,
        SUPERUSER: superuser,
    }


PUBLIC = dict.fromkeys(ROLES, OPEN)

# The game-facing API: Players (token or session) and Managers; no other role. It takes only the
# game client's tokens, so the reports client's is not even a caller there (401).
GAME_API = {
    ANONYMOUS: 401,
    PLAYER: OPEN,
    PLAYER_TOKEN: OPEN,
    NO_ROLE: 403,
    SUPPORT: 403,
    MANAGER: OPEN,
    REST_CLIENT: 401,
    SUPERUSER: 403,
}

RULES: list[Rule] = [
    # The portal's home page: what the signed-in person's role may use.
    Rule("", page()),
    # Sign-in, sign-out and their pages are open to everyone (rate limited).
    Rule("oidc/*", PUBLIC),
    Rule("auth/*", PUBLIC),
    # The admin's own pages.
    Rule("admin/", page()),
    Rule("admin/login/", page()),
    Rule("admin/logout/", page()),  # GET: 405, sign-out is a POST
    Rule("admin/password_change/*", page()),
    Rule("admin/jsi18n/", page()),
    Rule("admin/r/*", page()),
    Rule("admin/autocomplete/", page(support=403, manager=403, superuser=403)),  # 403 without its parameters
    Rule("admin/^(?P<app_label>*)/$", page(support=403)),  # app index of `auth`: no model support may see
    Rule("admin/(?P<url>.*)$", page()),  # unknown admin URLs: 404 for staff
    # An object's bare URL only redirects to its change page, which decides.
    Rule("admin/*/<path:object_id>/", page()),
    # Users, groups and identities come from Cognito: managers may look, not edit; support may not look.
    Rule("admin/auth/*/add/", page(support=403, manager=403)),
    Rule("admin/auth/*/delete/", page(support=403, manager=403)),
    Rule("admin/auth/user/<id>/password/", page(support=403, manager=403)),
    Rule("admin/auth/*", page(support=403)),
    Rule("admin/portal_auth/identity/add/", page(support=403, manager=403, superuser=403)),
    Rule("admin/portal_auth/identity/*/delete/", page(support=403, manager=403)),
    Rule("admin/portal_auth/identity/*", page(support=403)),
    # Periodic tasks (django-celery-beat): the settings define them; managers may look, not add,
    # change or delete (a disabled shard sync silently stops the drain). Issue 14.
    Rule("admin/django_celery_beat/*/add/", page(support=403, manager=403)),
    Rule("admin/django_celery_beat/*/delete/", page(support=403, manager=403)),
    Rule("admin/django_celery_beat/*", page(support=403)),
    # Game sessions: managers control them; support may look and release seats, never control.
    # Sessions and seats are never deleted, seats never added by hand (the game takes them).
    Rule("admin/game_sessions/gamesession/add/", page(support=403)),
    # Start answers a GET with 405 before anything else; support's POST gets 403
    # (tests/sessions/test_admin.py::test_support_may_release_seats_but_not_control_sessions).
    # Close answers a GET with its confirmation page: managers only.
    Rule("admin/game_sessions/gamesession/*/start/", page()),
    Rule("admin/game_sessions/gamesession/*/close/", page(support=403)),
    Rule("admin/game_sessions/*/delete/", page(support=403, manager=403, superuser=403)),
    Rule("admin/game_sessions/seat/add/", page(support=403, manager=403, superuser=403)),
    Rule("admin/game_sessions/sessionpublication/add/", page(support=403, manager=403, superuser=403)),
    Rule("admin/game_sessions/sessionpublication/*", page(support=403)),
    Rule("admin/game_sessions/*", page()),
    # The audit log: managers read it; nobody, not even a superuser, adds, edits or deletes.
    Rule("admin/alienportal/auditentry/add/", page(support=403, manager=403, superuser=403)),
    Rule("admin/alienportal/auditentry/*/delete/", page(support=403, manager=403, superuser=403)),
    Rule("admin/alienportal/*", page(support=403)),
    # The support desk: support and managers work tickets; nobody deletes one; only managers
    # write canned replies and change SLA targets.
    Rule("admin/support/ticket/*/delete/", page(support=403, manager=403, superuser=403)),
    Rule("admin/support/ticket/<int:pk>/act/<str:action>/", page(), kwargs={"pk": "1", "action": "seat_release"}),
    Rule("admin/support/ticket/*", page()),
    Rule("admin/support/cannedreply/add/", page(support=403)),
    Rule("admin/support/cannedreply/*/delete/", page(support=403)),
    Rule("admin/support/cannedreply/*", page()),
    Rule("admin/support/slapolicy/*", page(support=403)),
    # Cheat-rule thresholds (scoreboard's, worked from the desk): managers only, one row (no second add).
    Rule("admin/scoreboard/cheatrules/add/", page(support=403, manager=403, superuser=403)),
    Rule("admin/scoreboard/cheatrules/*", page(support=403)),
    # The players' own tickets (/v1/tickets/<pk>): a player asking for a ticket that is not theirs gets 404.
    Rule("v1/tickets/*", GAME_API, kwargs={"pk": "1"}),
    # Archive replays (scoreboard.archive): managers start and read them; nobody edits or deletes one.
    Rule("admin/archive/archivereplay/*/delete/", page(support=403, manager=403, superuser=403)),
    # Reconciliations (beat and archive_reconcile write them): whoever sees health reads; nobody adds, edits, deletes.
    Rule("admin/archive/reconciliationrun/add/", page(support=403, manager=403, superuser=403)),
    Rule("admin/archive/reconciliationrun/*/delete/", page(support=403, manager=403, superuser=403)),
    Rule("admin/archive/reconciliationrun/*", page()),
    Rule("admin/archive/*", page(support=403)),
    # The game API (/v1): game clients (Players) and managers; a GET of a POST-only resource is 405.
    Rule("v1/config", PUBLIC),  # what the game needs before signing in (the original's had no authorizer)
    Rule("v1/*", GAME_API),
    # APIs.
    Rule("api/auth/me/", api(player_token=OPEN)),  # any verified caller may ask who it is
    Rule("api/schema/", api(player_token=OPEN)),
    Rule("api/docs/", api(player_token=OPEN)),
    # Pipeline records (scoreboard): managers and support read; nobody adds, edits or deletes.
    Rule("admin/scoreboard/*/add/", page(support=403, manager=403, superuser=403)),
    Rule("admin/scoreboard/*/delete/", page(support=403, manager=403, superuser=403)),
    Rule("admin/scoreboard/*", page()),
    # Dashboards (reports.dashboards): managers everything; support all but cost and capacity.
    Rule("reports/dashboards/cost/", page(support=403)),
    Rule("reports/dashboards/dash/app/<slug:ident>/*", page(support=403), kwargs=DASH_KWARGS),
    Rule("reports/dashboards/*", page()),
    # The reports API (/api/v1/): reports clients with scope reports/read, managers and support; the
    # game client's tokens are not callers there (401). Replaying dead letters: managers only.
    Rule("api/v1/dead-letters/replay/", api(player_token=401, support=403, rest_client=403)),
    Rule("api/v1/*", api(player_token=401), kwargs={"session_id": "X261127T090000", "nickname": "ann"}),
]
