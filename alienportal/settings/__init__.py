"""Settings modules: `base` (development and tests, env-driven) and `production`."""
