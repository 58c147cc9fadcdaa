"""Row-level security on netrun's own tenant-bearing table of this app (no-op off PostgreSQL).

``Membership`` is left out: it is read per user across tenants (logging in, listing a user's
tenants) before any tenant is bound, so a tenant predicate would refuse every login.
"""

from __future__ import annotations

from django.db import migrations

from netrun.rbac.db.operations import EnableRLS


class Migration(migrations.Migration):
    dependencies = [("netrun_rbac", "0002_membership_role")]

    operations = [EnableRLS("Role")]
