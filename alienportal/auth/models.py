"""The link between a Django user and the identity provider's subject (`sub`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Identity(models.Model):
    """A user's identity at the provider: matched by (issuer, sub), never by e-mail.

    E-mail addresses can be changed and re-used by someone else; `sub` is stable and unique per
    issuer, so it is the only safe key for finding the user a token belongs to.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="identity")
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    last_sign_in = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "identities"
        constraints = [models.UniqueConstraint(fields=["issuer", "subject"], name="identity_unique_issuer_subject")]

    def __str__(self) -> str:
        return f"{self.subject} @ {self.issuer}"
