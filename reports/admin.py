"""Admin registrations of the reports app."""

from __future__ import annotations

from django.contrib import admin
from django_plotly_dash import admin as _dash_admin  # noqa: F401  (registers its models; undone below)
from django_plotly_dash.models import DashApp, StatelessApp

# django-plotly-dash registers admin pages for its stored app state, which the dashboards do not
# use (stateless apps only, their ORM rows written by the library): no page nobody needs.
for _model in (DashApp, StatelessApp):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
