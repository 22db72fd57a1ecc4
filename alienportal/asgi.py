"""ASGI entry point: the portal's pages and APIs (Django) and its WebSockets (Channels) on one server.

Run it with daphne (`daphne -b 0.0.0.0 -p 8000 alienportal.asgi:application`); in development
`manage.py runserver` is this same server (daphne is the first installed app).
"""

from django.core.asgi import get_asgi_application

from alienportal.settings import settings_module_default

settings_module_default()
# Django is set up before anything imports models (the consumers do).
django_application = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import OriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402

from alienportal.routing import websocket_urlpatterns  # noqa: E402


def _websocket_origins() -> list[str]:
    # The game runs on another origin (as for the game API's CORS): the same allow-list, or any
    # origin when the game's origins are not restricted; the portal's own hosts always.
    if settings.CORS_ALLOW_ALL_ORIGINS:
        return ["*"]
    return [*settings.CORS_ALLOWED_ORIGINS, *settings.ALLOWED_HOSTS]


application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": OriginValidator(URLRouter(websocket_urlpatterns), _websocket_origins()),
    }
)
