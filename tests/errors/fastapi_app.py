"""A small FastAPI app with Netrun's handlers, for the tests."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from netrun.errors import RateLimitExceededError
from netrun.errors.contrib.fastapi import install_exception_handlers
from tests.errors.scenarios import SECRET, raise_conflict


class Signup(BaseModel):
    email: str = Field(pattern=r"^[^@]+@[^@]+$")
    age: int = Field(ge=0)


def make_app(*, problem_json: bool = False) -> FastAPI:
    app = FastAPI()
    install_exception_handlers(app, problem_json=problem_json)

    @app.get("/conflict")
    def conflict() -> dict[str, str]:
        raise_conflict()
        return {}

    @app.get("/crash")
    def crash() -> dict[str, str]:
        raise RuntimeError(SECRET)

    @app.get("/rate-limited")
    def rate_limited() -> dict[str, str]:
        raise RateLimitExceededError(retry_after=30)

    @app.post("/signup")
    def signup(body: Signup, password: str) -> dict[str, str]:
        return {"email": body.email}

    @app.get("/teapot")
    def teapot() -> dict[str, str]:
        raise HTTPException(status_code=418, detail={"brew": "tea"})

    @app.get("/login")
    def login() -> dict[str, str]:
        raise HTTPException(401, "Sign in first.", headers={"WWW-Authenticate": "Bearer"})

    @app.get("/not-modified")
    def not_modified() -> dict[str, str]:
        raise HTTPException(304)

    @app.post("/raw")
    async def raw(body: list[int]) -> dict[str, int]:
        return {"n": len(body)}

    return app
