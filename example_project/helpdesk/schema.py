"""OpenAPI links between the helpdesk's operations (a drf-spectacular postprocessing hook).

A created ticket's ``id`` feeds the operations on that ticket, so clients (and Schemathesis'
stateful phase) can follow the API from one answer to the next.
"""

from __future__ import annotations

from typing import Any

_TICKET = {"id": "$response.body#/id"}
_LINKS = {
    ("/api/tickets/", "post", "201"): {
        "GetTicket": {"operationId": "tickets_retrieve", "parameters": _TICKET},
        "UpdateTicket": {"operationId": "tickets_partial_update", "parameters": _TICKET},
        "ListComments": {"operationId": "tickets_comments_list", "parameters": _TICKET},
        "AddComment": {"operationId": "tickets_comments_create", "parameters": _TICKET},
        "Summarise": {"operationId": "tickets_summarise_create", "parameters": _TICKET},
    },
    ("/api/token/", "post", "200"): {
        "Refresh": {
            "operationId": "token_refresh_create",
            "requestBody": {"refresh_token": "$response.body#/refresh_token"},
        },
    },
}


def add_links(result: dict[str, Any], generator: Any, **kwargs: Any) -> dict[str, Any]:
    for (path, method, status), links in _LINKS.items():
        response = result["paths"][path][method]["responses"][status]
        response.setdefault("links", {}).update(links)
    return result
