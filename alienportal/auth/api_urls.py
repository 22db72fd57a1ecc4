"""Routes of the identity API, mounted under /api/auth/."""

from django.urls import path

from alienportal.auth.api import CallerDetailApi

urlpatterns = [path("me/", CallerDetailApi.as_view(), name="auth-caller-detail")]
