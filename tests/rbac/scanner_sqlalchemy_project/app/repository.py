"""Data access of the fixture: each escape is marked ``# seeded: NRxxx`` on its reported line."""

from __future__ import annotations

from typing import Any

from app.models import Comment, Country, Ticket, audit_log
from sqlalchemy import select, text


def legacy_reads(session: Any, tenant_id: str, ticket_id: int) -> list[Any]:
    everything = session.query(Ticket).all()  # seeded: NR009
    one = session.query(Ticket).filter(Ticket.id == ticket_id).first()  # seeded: NR009
    for comment in session.query(Comment):  # seeded: NR009
        print(comment)
    scoped = session.query(Ticket).filter(Ticket.tenant_id == tenant_id).all()
    by_keyword = session.query(Comment).filter_by(tenant_id=tenant_id, ticket_id=ticket_id).all()
    shared = session.query(Country).all()
    return [everything, one, scoped, by_keyword, shared]


def legacy_built_in_steps(session: Any, tenant_id: str) -> list[Any]:
    query = session.query(Ticket)
    query = query.order_by(Ticket.id)
    leaked = query.all()  # seeded: NR009
    narrowed = session.query(Comment)
    narrowed = narrowed.filter(Comment.tenant_id == tenant_id)
    return [leaked, narrowed.all()]


def modern_reads(session: Any, tenant_id: str) -> list[Any]:
    rows = session.scalars(select(Ticket)).all()  # seeded: NR010
    ids = session.execute(select(Ticket.id).where(Ticket.title == "x"))  # seeded: NR010
    scoped = session.scalars(select(Ticket).where(Ticket.tenant_id == tenant_id)).all()
    shared = session.scalars(select(Country)).all()
    return [rows, ids, scoped, shared]


async def modern_built_in_steps(session: Any, tenant_id: str) -> list[Any]:
    statement = select(Comment).order_by(Comment.id)
    unscoped = (await session.scalars(statement)).all()  # seeded: NR010
    statement = statement.where(Comment.tenant_id == tenant_id)
    scoped = (await session.scalars(statement)).all()
    core = await session.execute(select(audit_log))  # seeded: NR010
    helper = select(Ticket)
    return [unscoped, scoped, core, helper]  # built, not run here: the caller filters


def raw_sql(session: Any, tenant_id: str) -> list[Any]:
    everyone = session.execute(text("SELECT * FROM tickets WHERE id = :id"))  # seeded: NR011
    core = session.execute(text("DELETE FROM audit_log"))  # seeded: NR011
    scoped = session.execute(
        text("SELECT * FROM tickets WHERE tenant_id = :tenant_id"), {"tenant_id": tenant_id}
    )
    shared = session.execute(text("SELECT * FROM countries"))
    reviewed = session.execute(
        text("SELECT count(*) FROM comments")  # netrun: allow-cross-tenant totals for billing
    )
    return [everyone, core, scoped, shared, reviewed]


def more_forms(session: Any, tenant_id: str) -> list[Any]:
    titles = [t.title for t in session.query(Ticket)]  # seeded: NR009
    statement: Any = select(Comment)
    counted = session.scalar(statement)  # seeded: NR010
    kept = select(Ticket)
    copy = kept.where(Ticket.tenant_id == tenant_id)
    scoped = session.scalars(copy).all()
    return [titles, counted, scoped]
