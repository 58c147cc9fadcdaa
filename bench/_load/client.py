"""A bounded, closed-loop load client: N virtual users on asyncio + httpx for D seconds.

Each user holds the JWT of one member account of one tenant and loops over a mix of reads
(list, detail, another tenant's ticket), writes (tickets), synchronous LLM summaries and
Celery summaries, with a think time between requests. Every answer is recorded with its
start time, so errors can be placed against the faults' windows afterwards.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["Account", "LoadResult", "Sample", "login_all", "run_load"]

#: Title prefix of every ticket the load writes: "[<slug>] load <uuid>".
LOAD_MARKER = "load"


@dataclass(frozen=True)
class Account:
    tenant: str  # slug
    tenant_id: str
    username: str
    token: str
    welcome: str  # the seeded ticket's title, the one row of the tenant not made by the load


@dataclass
class Sample:
    at: float  # seconds since the run started
    kind: str
    server: str
    status: int  # 0: no HTTP answer (connection refused, reset, timeout)
    latency: float
    error: str = ""  # why the answer broke an invariant, or the transport error
    code: str = ""  # the error envelope's code on 4xx/5xx


@dataclass
class LoadResult:
    duration: float
    samples: list[Sample] = field(default_factory=list)
    # title -> (tenant slug, ticket id) of every 201 for a ticket
    created: dict[str, tuple[str, int]] = field(default_factory=dict)
    # comment id -> (tenant slug, ticket id) of every synchronous summary answered 201
    summaries: dict[int, tuple[str, int]] = field(default_factory=dict)
    # task id -> (tenant slug, ticket id) of every 202
    tasks: dict[str, tuple[str, int]] = field(default_factory=dict)
    cross_tenant: list[str] = field(default_factory=list)


# What each kind of request may answer without it being an error. 429 is intended: the
# per-user rate limit and the tenant's LLM budget.
EXPECTED = {
    "list": {200, 429},
    "detail": {200, 429},
    "foreign": {404, 429},
    "create": {201, 429},
    "summarise": {201, 429},
    "queue": {202, 429},
}


async def _login(client: httpx.AsyncClient, username: str, password: str) -> str:
    for _attempt in range(5):
        response = await client.post(
            "/api/token/", json={"username": username, "password": password}
        )
        if response.status_code == 200:
            return str(response.json()["access_token"])
        await asyncio.sleep(1)
    raise RuntimeError(f"login of {username} failed: {response.status_code} {response.text}")


async def _login_many(
    base_url: str, members: list[tuple[str, str, str, str]], password: str
) -> list[Account]:
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        semaphore = asyncio.Semaphore(4)  # password hashing is CPU: a few at a time

        async def one(member: tuple[str, str, str, str]) -> Account:
            tenant, tenant_id, username, welcome = member
            async with semaphore:
                token = await _login(client, username, password)
            return Account(tenant, tenant_id, username, token, welcome)

        return list(await asyncio.gather(*(one(m) for m in members)))


def login_all(
    base_url: str, members: list[tuple[str, str, str, str]], password: str
) -> list[Account]:
    """Log every member in once (``POST /api/token/``), a few at a time."""
    return asyncio.run(_login_many(base_url, members, password))


def _code(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return str(error.get("code", ""))
        return str(body.get("code", "") or body.get("error_code", ""))
    return ""


class _User:
    def __init__(
        self,
        number: int,
        account: Account,
        server: str,
        client: httpx.AsyncClient,
        result: LoadResult,
        known: dict[str, list[int]],
        started: float,
        think: float,
    ) -> None:
        self.account = account
        self.server = server
        self.client = client
        self.result = result
        self.known = known  # tenant slug -> ticket ids created so far
        self.started = started
        self.think = think
        self.random = random.Random(number)
        self.headers = {"Authorization": f"Bearer {account.token}"}
        self.own: list[int] = []

    async def request(
        self, kind: str, method: str, path: str, body: dict[str, Any] | None = None
    ) -> httpx.Response | None:
        began = time.monotonic()
        sample = Sample(began - self.started, kind, self.server, 0, 0.0)
        try:
            response = await self.client.request(method, path, json=body, headers=self.headers)
        except httpx.HTTPError as exc:
            sample.latency = time.monotonic() - began
            sample.error = f"{type(exc).__name__}: {exc}"[:200]
            self.result.samples.append(sample)
            return None
        sample.latency = time.monotonic() - began
        sample.status = response.status_code
        if response.status_code >= 400:
            sample.code = _code(response)
        if response.status_code not in EXPECTED[kind]:
            sample.error = f"unexpected {response.status_code}: {response.text[:200]}"
        self.result.samples.append(sample)
        return response

    async def create(self) -> int | None:
        title = f"[{self.account.tenant}] {LOAD_MARKER} {uuid.uuid4().hex}"
        response = await self.request("create", "POST", "/api/tickets/", {"title": title})
        if response is None or response.status_code != 201:
            return None
        ticket_id = int(response.json()["id"])
        self.result.created[title] = (self.account.tenant, ticket_id)
        self.own.append(ticket_id)
        self.known.setdefault(self.account.tenant, []).append(ticket_id)
        return ticket_id

    def check_titles(self, titles: list[str]) -> None:
        mine = f"[{self.account.tenant}] "
        for title in titles:
            if not (title.startswith(mine) or title == self.account.welcome):
                self.result.cross_tenant.append(f"{self.account.username} saw {title!r}")

    async def step(self) -> None:
        roll = self.random.random()
        if roll < 0.40 or not self.own:
            if not self.own and roll >= 0.40:
                await self.create()
                return
            response = await self.request("list", "GET", "/api/tickets/")
            if response is not None and response.status_code == 200:
                self.check_titles([row["title"] for row in response.json()["results"]])
        elif roll < 0.52:
            response = await self.request(
                "detail", "GET", f"/api/tickets/{self.random.choice(self.own)}/"
            )
            if response is not None and response.status_code == 200:
                self.check_titles([response.json()["title"]])
        elif roll < 0.57:
            others = [t for t in self.known if t != self.account.tenant and self.known[t]]
            if others:
                ticket = self.random.choice(self.known[self.random.choice(others)])
                response = await self.request("foreign", "GET", f"/api/tickets/{ticket}/")
                if response is not None and response.status_code == 200:
                    self.result.cross_tenant.append(
                        f"{self.account.username} read ticket {ticket} of another tenant"
                    )
        elif roll < 0.82:
            await self.create()
        elif roll < 0.94:
            ticket = self.random.choice(self.own)
            response = await self.request(
                "summarise", "POST", f"/api/tickets/{ticket}/summarise/", {"reason": "load run"}
            )
            if response is not None and response.status_code == 201:
                comment = int(response.json()["comment"]["id"])
                self.result.summaries[comment] = (self.account.tenant, ticket)
        else:
            # A ticket of its own for each queued summary: its comments count the task's runs.
            ticket_id = await self.create()
            if ticket_id is None:
                return
            self.own.remove(ticket_id)  # never summarised synchronously
            response = await self.request(
                "queue",
                "POST",
                f"/api/tickets/{ticket_id}/summarise/?async=1",
                {"reason": "load run"},
            )
            if response is not None and response.status_code == 202:
                self.result.tasks[response.json()["task_id"]] = (self.account.tenant, ticket_id)

    async def run(self, until: float) -> None:
        # Users start spread over the first second, not all in the same instant.
        await asyncio.sleep(self.random.uniform(0, 1))
        while time.monotonic() < until:
            await self.step()
            await asyncio.sleep(self.random.uniform(0.5 * self.think, 1.5 * self.think))


async def _run(
    servers: dict[str, str],
    accounts: list[Account],
    users: int,
    duration: float,
    think: float,
    timeout: float,
    origin: float | None,
) -> LoadResult:
    result = LoadResult(duration)
    known: dict[str, list[int]] = {}
    # Idle connections are dropped before the server's keep-alive timeout would close them
    # under a request in flight (uvicorn: 5 s by default, 30 s here).
    limits = httpx.Limits(
        max_connections=users, max_keepalive_connections=users, keepalive_expiry=2.0
    )
    clients = {
        name: httpx.AsyncClient(base_url=url, timeout=timeout, limits=limits)
        for name, url in servers.items()
    }
    names = sorted(servers)
    started = time.monotonic() if origin is None else origin
    try:
        crowd = [
            _User(
                n,
                accounts[n % len(accounts)],
                names[n % len(names)],
                clients[names[n % len(names)]],
                result,
                known,
                started,
                think,
            )
            for n in range(users)
        ]
        await asyncio.gather(*(user.run(started + duration) for user in crowd))
    finally:
        for client in clients.values():
            await client.aclose()
    result.duration = time.monotonic() - started
    return result


def run_load(
    servers: dict[str, str],
    accounts: list[Account],
    *,
    users: int,
    duration: float,
    think: float = 0.5,
    timeout: float = 60.0,
    origin: float | None = None,
) -> LoadResult:
    """Drive ``users`` virtual users, spread over ``servers`` (name -> base URL), for ``duration`` s.

    ``origin`` (a ``time.monotonic()`` value) is time 0 of the samples, shared with the faults.
    """
    return asyncio.run(_run(servers, accounts, users, duration, think, timeout, origin))
