"""Alien Portal: the back office of Alien Attack."""

from alienportal.celery import app as celery_app

__all__ = ("celery_app",)
