"""Embedded stand-ins for the cloud parts on a developer machine: moto server, Redis, the demo."""
