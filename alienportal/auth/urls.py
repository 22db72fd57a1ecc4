"""Routes of the sign-in pages that are ours (the OIDC flow itself is mozilla_django_oidc.urls)."""

from django.urls import path

from alienportal.auth import views

app_name = "portal_auth"

urlpatterns = [
    path("signed-out/", views.signed_out, name="signed_out"),
    path("sign-in-failed/", views.sign_in_failed, name="sign_in_failed"),
    path("break-glass/", views.BreakGlassLoginView.as_view(), name="break_glass"),
]
