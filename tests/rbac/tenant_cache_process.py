"""One process of the tenant-cache test: ``setup``, ``serve`` or ``write <action>``.

``serve`` answers lines ``<tenant> <username>`` on stdin with ``<status> <queries>``: the
status ``TenantMiddleware`` gives that user's request naming that tenant in ``X-Tenant-ID``,
and how many queries the middleware ran for it (0: answered from the cache).
"""

from __future__ import annotations

import sys

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402 - after setup()
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from netrun.rbac.middleware import TenantMiddleware  # noqa: E402
from netrun.rbac.models import Membership, Tenant  # noqa: E402


def setup() -> None:
    call_command("migrate", verbosity=0)
    acme = Tenant.objects.create(slug="acme", name="Acme")
    globex = Tenant.objects.create(slug="globex", name="Globex")
    users = get_user_model()
    for name, tenant in (("ada", acme), ("bob", acme), ("cy", globex)):
        Membership.objects.create(user=users.objects.create_user(name), tenant=tenant)


def write(action: str) -> None:
    if action == "deactivate-acme":
        acme = Tenant.objects.get(slug="acme")
        acme.is_active = False
        acme.save()
    elif action == "remove-bob":
        Membership.objects.get(user__username="bob").delete()
    elif action == "suspend-cy":
        membership = Membership.objects.get(user__username="cy")
        membership.is_active = False
        membership.save()
    else:
        raise SystemExit(f"unknown action {action!r}")


def serve() -> None:
    middleware = TenantMiddleware(lambda request: HttpResponse("ok"))
    users = {user.username: user for user in get_user_model().objects.all()}
    factory = RequestFactory()
    print("ready", flush=True)
    for line in sys.stdin:
        tenant, username = line.split()
        request: HttpRequest = factory.get("/", HTTP_X_TENANT_ID=tenant)
        request.user = users[username]
        with CaptureQueriesContext(connection) as queries:
            response = middleware(request)
        print(response.status_code, len(queries), flush=True)


if __name__ == "__main__":
    command = sys.argv[1]
    if command == "setup":
        setup()
    elif command == "serve":
        serve()
    else:
        write(sys.argv[2])
