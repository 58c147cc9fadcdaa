"""Links between identity-provider accounts and Django users."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class OAuthIdentity(models.Model):
    """One account at one provider (``provider`` + ``sub``), linked to one Django user.

    The provider's ``sub`` is the only stable key: emails change and are reassigned, so a
    returning user is recognised by this row, never by email.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="oauth_identities"
    )
    provider = models.CharField(max_length=64)
    subject = models.CharField(max_length=255)
    email = models.EmailField(blank=True)
    tenant_id = models.CharField(max_length=255, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    last_login = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "OAuth identity"
        verbose_name_plural = "OAuth identities"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "subject"], name="netrun_oauth_identity_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.subject}"
