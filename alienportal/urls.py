"""URL routes of the whole portal: the only module that knows every app."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/", admin.site.urls),
    # The game-facing API keeps the original game's resource paths (API Gateway stage /v1).
    path("v1/", include("sessions.api.game_urls")),  # session, allocate, deallocate
    path("v1/", include("scoreboard.api.game_urls")),  # updatestatus, scoreboard
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
