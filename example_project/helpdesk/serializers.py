"""The API's serializers. Strings are strict: the schema says ``string``, so 0 is refused.

DRF's ``CharField`` takes a number and stores its text (``0`` becomes ``"0"``); Schemathesis
reports that as a schema-violating request accepted (tests/example/test_schemathesis.py).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from rest_framework import serializers

from example_project.helpdesk.models import Comment, Ticket


class StrictCharField(serializers.CharField):
    """A ``CharField`` that accepts JSON strings only, and keeps them as sent.

    Not trimmed: Python strips more than JSON Schema calls whitespace (U+0085), so a trimmed
    string the schema allows (``minLength: 1``) could turn blank and be refused.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictModelSerializer(serializers.ModelSerializer[Any]):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.CharField: StrictCharField,
        models.TextField: StrictCharField,
    }


class CommentSerializer(StrictModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = Comment
        fields = ("id", "kind", "body", "author", "created")
        read_only_fields = ("id", "kind", "author", "created")

    def get_author(self, comment: Comment) -> str | None:
        """The author's username; None for the LLM's summaries, which no user wrote."""
        return comment.author.get_username() if comment.author else None


class TicketSerializer(StrictModelSerializer):
    class Meta:
        model = Ticket
        fields = ("id", "title", "status", "created")
        read_only_fields = ("id", "created")


class TicketDetailSerializer(TicketSerializer):
    comments = CommentSerializer(many=True, read_only=True)

    class Meta(TicketSerializer.Meta):
        fields = (*TicketSerializer.Meta.fields, "comments")


class SummariseSerializer(serializers.Serializer[None]):
    # Optional here on purpose: the tenant's LLM policy decides whether a reason is required
    # (TenantPolicyRecord.require_reason), and refuses with LLM_POLICY_VIOLATION if so.
    reason = StrictCharField(required=False, allow_blank=True, max_length=200)


class TokenRequestSerializer(serializers.Serializer[None]):
    username = StrictCharField()
    password = StrictCharField(style={"input_type": "password"})
    tenant = StrictCharField(
        required=False, help_text="Tenant slug; optional when the user has one membership."
    )


class RefreshRequestSerializer(serializers.Serializer[None]):
    refresh_token = StrictCharField()


# Response shapes of the APIViews, for the OpenAPI schema (/api/schema/).


class TokenPairSerializer(serializers.Serializer[None]):
    access_token = serializers.CharField()
    refresh_token = serializers.CharField()
    token_type = serializers.CharField(help_text='Always "Bearer".')
    expires_in = serializers.IntegerField(help_text="Seconds the access token is valid.")
    tenant_id = serializers.CharField(help_text="The tenant the tokens act in.")
    tenant = serializers.CharField(help_text="Its slug.")
    roles = serializers.ListField(child=serializers.CharField())


class UsageSerializer(serializers.Serializer[None]):
    input_tokens = serializers.IntegerField()
    output_tokens = serializers.IntegerField()
    estimated = serializers.BooleanField(help_text="Counted locally, not by the provider.")


class SummarySerializer(serializers.Serializer[None]):
    comment = CommentSerializer()
    provider = serializers.CharField()
    model = serializers.CharField()
    offline = serializers.BooleanField(help_text="The offline provider answered (development).")
    fallback_from = serializers.CharField(allow_null=True)
    usage = UsageSerializer()


class SummaryQueuedSerializer(serializers.Serializer[None]):
    task_id = serializers.CharField()
    state = serializers.CharField()
    comment_id = serializers.IntegerField(
        required=False, help_text="Set when the task already ran (eager Celery)."
    )
