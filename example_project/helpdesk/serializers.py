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
