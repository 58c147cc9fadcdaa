"""Row-level security on this app's tenant-bearing table, where the project migrates through
netrun's PostgreSQL backend (``netrun.rbac.db.backends.postgresql``); a no-op elsewhere.

``Membership`` is left out: it is read per user across tenants (logging in, listing a user's
tenants) before any tenant is bound, so a tenant predicate would refuse every login.
"""

from __future__ import annotations

from django.db import migrations

from netrun.rbac.db.operations import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("netrun_rbac", "0002_membership_role")]

    operations = [EnableRLS("Role", rls_backend_only=True)]
