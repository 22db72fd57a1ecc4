"""`{% when value %}`: a moment in the viewer's time zone and the portal's format, ISO 8601 on hover."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.safestring import SafeString

from alienportal.dates import when_html

register = template.Library()


@register.simple_tag(name="when")
def when(value: datetime | None, empty: str = "—") -> SafeString:
    return when_html(value, empty=empty)
