"""The API under ``/api/`` (included by ``example_project.urls``)."""

from __future__ import annotations

from django.urls import path

from example_project.helpdesk import api, stream

app_name = "helpdesk_api"

urlpatterns = [
    path("token/", api.TokenView.as_view(), name="token"),
    path("token/refresh/", api.RefreshView.as_view(), name="token_refresh"),
    path("tickets/", api.TicketListView.as_view(), name="tickets"),
    path("tickets/<int:pk>/", api.TicketDetailView.as_view(), name="ticket"),
    path("tickets/<int:pk>/comments/", api.CommentListView.as_view(), name="comments"),
    path("tickets/<int:pk>/summarise/", api.SummariseView.as_view(), name="summarise"),
    path("assistant/stream/", stream.assistant_stream, name="assistant_stream"),
]
