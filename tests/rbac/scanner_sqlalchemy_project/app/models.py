"""SQLAlchemy models of the scanner's FastAPI fixture (never imported, only parsed)."""

from __future__ import annotations

from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column


class Base(DeclarativeBase):
    pass


class TenantMixin:
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)


class Ticket(TenantMixin, Base):
    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))


class Comment(Base):
    __tablename__ = "comments"

    id = Column(Integer, primary_key=True)
    ticket_id = Column(ForeignKey("tickets.id"))

    @declared_attr
    def tenant_id(cls) -> Mapped[str]:
        return mapped_column(String(64))


class Country(Base):
    """Shared by every tenant: reading it needs no filter."""

    __tablename__ = "countries"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)


metadata = MetaData()
audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("tenant_id", String(64)),
)
