"""The one base of every DRF endpoint: authentication, permissions, throttling, pagination, errors."""
