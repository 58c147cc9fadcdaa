"""Database backends of ``netrun.rbac``."""
