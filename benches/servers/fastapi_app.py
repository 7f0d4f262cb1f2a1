"""The peer column of ``bench_servers.py``: three of the same routes on
FastAPI, with ``async def`` views as FastAPI's documentation writes them,
under Granian's ASGI interface."""

from __future__ import annotations

import typing as t

from fastapi import FastAPI
from fastapi.responses import HTMLResponse

app = FastAPI()


# Flask answers a str view as text/html; the same here, so both send the
# same bytes.
@app.get("/", response_class=HTMLResponse)
async def hello() -> str:
    return "Hello, World!"


@app.get("/json")
async def json_get() -> dict[str, t.Any]:
    return {"message": "Hello, World!", "ok": True, "items": [1, 2, 3]}


@app.get("/user/{id}")
async def user(id: int) -> dict[str, t.Any]:
    return {"id": id, "name": f"user{id}"}
