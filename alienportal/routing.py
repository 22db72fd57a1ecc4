"""WebSocket routes of the whole portal, as urls.py is for HTTP: the one module that knows every app's.

Add an app's consumers here (`path("ws/<area>/...", Consumer.as_asgi())`); alienportal/asgi.py serves them.
"""

from django.urls import path

from sessions.consumers import SessionStartConsumer
from sessions.live import SESSION_START_WS_PATH

websocket_urlpatterns = [
    # The URL GET /v1/websocket hands the game: seated players of a synchronized session wait for Start.
    path(SESSION_START_WS_PATH.lstrip("/"), SessionStartConsumer.as_asgi(), name="ws-session-start"),
]
