"""Django glue other apps use to answer with the envelope from their own middleware.

::

    from netrun.errors.django import error_response

    return error_response(request, TenantAccessDeniedError())

The response is negotiated like every other Netrun error response (problem+json when the
client's Accept or ``NETRUN_ERRORS_PROBLEM_JSON`` asks for it), generic when 5xx with
``DEBUG`` off, and the error is reported (``exception_raised``) once.
"""

from __future__ import annotations

from netrun.errors._django import error_response

__all__ = ["error_response"]
