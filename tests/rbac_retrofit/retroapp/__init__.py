"""A project's app before tenancy: ``Invoice`` is not tenant-scoped yet (the tests copy
this package to a temporary directory and retrofit the copy)."""
