"""URL routes of the whole portal: the only module that knows every app."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from mozilla_django_oidc.views import OIDCLogoutView

from alienportal import home
from alienportal.auth import views as auth_views
from reports.dashboards.urls import dash_include

urlpatterns = [
    # The front door: what the signed-in person's role may use (strangers are sent to sign in).
    path("", home.portal_home, name="portal_home"),
    # People sign in through the OIDC provider: the admin's own login and logout are replaced.
    path("admin/login/", auth_views.admin_login, name="portal_admin_login"),
    path("admin/logout/", OIDCLogoutView.as_view(), name="portal_admin_logout"),
    path("admin/", admin.site.urls),
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("auth/", include("alienportal.auth.urls")),
    # The game-facing API keeps the original game's resource paths (API Gateway stage /v1).
    path("v1/", include("alienportal.auth.game_urls")),  # config
    path("v1/", include("sessions.api.game_urls")),  # session, allocate, deallocate
    path("v1/", include("scoreboard.api.game_urls")),  # updatestatus, scoreboard
    path("v1/", include("support.api.urls")),  # the player's own support tickets
    path("api/auth/", include("alienportal.auth.api_urls")),  # the caller's own identity
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Dashboards: the pages, and django-plotly-dash's routes (namespace the_django_plotly_dash).
    path("reports/dashboards/dash/", dash_include),
    path("reports/dashboards/", include("reports.dashboards.urls")),
    # The split view serves its script as a file: no inline script, and the UI's assets are local.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include("reports.api.urls")),  # the reports API
]

# PermissionDenied anywhere (the admin's pages included): the portal's frame, a way back, no traceback.
handler403 = "alienportal.home.portal_forbidden"
