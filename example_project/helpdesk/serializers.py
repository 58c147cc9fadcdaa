from __future__ import annotations

from rest_framework import serializers

from example_project.helpdesk.models import Comment, Ticket


class CommentSerializer(serializers.ModelSerializer[Comment]):
    author = serializers.CharField(source="author.get_username", read_only=True, default=None)

    class Meta:
        model = Comment
        fields = ("id", "kind", "body", "author", "created")
        read_only_fields = ("id", "kind", "author", "created")


class TicketSerializer(serializers.ModelSerializer[Ticket]):
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
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200)


class TokenRequestSerializer(serializers.Serializer[None]):
    username = serializers.CharField()
    password = serializers.CharField(trim_whitespace=False, style={"input_type": "password"})
    tenant = serializers.CharField(
        required=False, help_text="Tenant slug; optional when the user has one membership."
    )


class RefreshRequestSerializer(serializers.Serializer[None]):
    refresh_token = serializers.CharField()


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
