"""URLs of the LLM policy's read API (Django REST framework)::

    urlpatterns += [path("api/llm/", include("netrun.llm.policy.urls"))]

``scope-budgets/`` (name ``netrun_llm_policy:scope-budgets``): the request tenant's scope
budgets and their current windows, see :mod:`netrun.llm.policy.drf`.
"""

from __future__ import annotations

from django.urls import path

from netrun.llm.policy.drf import ScopeBudgetList

app_name = "netrun_llm_policy"

urlpatterns = [
    path("scope-budgets/", ScopeBudgetList.as_view(), name="scope-budgets"),
]
