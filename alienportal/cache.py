"""The shared Redis cache's serializer: JSON, never pickle.

Django's Redis cache unpickles whatever Redis returns, so anyone who can write to that Redis
(a password-less instance, a neighbour on a shared one) could run code in every web and worker
process. JSON cannot carry code: the worst a forged value does is fail to decode.
"""

from __future__ import annotations

import json
from typing import Any


class JsonSerializer:
    """Serialize cache values as JSON; integers stay plain, so incr() stays atomic in Redis."""

    def __init__(self, protocol: Any = None) -> None:
        pass  # Django passes pickle's protocol; JSON has none

    def dumps(self, obj: Any) -> bytes | int:
        # type() rather than isinstance(): True must not become the integer 1.
        if type(obj) is int:
            return obj
        return json.dumps(obj, separators=(",", ":")).encode()

    def loads(self, data: bytes) -> Any:
        try:
            return int(data)
        except ValueError:
            return json.loads(data)
