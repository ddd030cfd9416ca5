"""The floor of bench/request_cost.py: the least a request to this service can cost, so that
the service's paths are measured against it in the same run on the same machine.

One FastAPI endpoint running one query by primary key (the users table) on the service's own
SQLite file, through the service's engine (``build_engine``: WAL, busy timeout, the same pool and
BEGIN handling); a sync endpoint, as the service's are. The database URL comes from
``FLOOR_DATABASE_URL``. Served by uvicorn with the service's worker count:
``python bench/support/floor_app.py --port P --workers N``.

With several workers the listening socket is bound here, with ``IPPROTO_TCP``, rather than by
uvicorn: uvicorn's supervisor binds it with protocol 0, the accepted sockets inherit that, and
asyncio then leaves TCP_NODELAY off, so each keep-alive response waits about 40 ms for the
client's delayed ACK (Kludex/uvicorn#3149). The floor is what the framework can do, not that."""

from __future__ import annotations

import argparse
import os
import socket

import uvicorn
from fastapi import FastAPI
from sqlalchemy import text
from uvicorn.supervisors import Multiprocess

from mediaobjects.db.engine import build_engine

engine = build_engine(os.environ["FLOOR_DATABASE_URL"])
app = FastAPI()


@app.get("/floor/{user_id}")
def floor(user_id: int) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(text("SELECT id, name FROM users WHERE id = :id"), {"id": user_id}).one()
    return {"id": row.id, "name": row.name}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    host = "127.0.0.1"
    # As `mediaobjects serve` runs uvicorn: no forwarded headers, its default log level.
    config = uvicorn.Config(
        "floor_app:app", host=host, port=args.port, workers=args.workers, proxy_headers=False
    )
    if args.workers == 1:
        uvicorn.Server(config).run()
        return
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, args.port))
    sock.set_inheritable(True)
    Multiprocess(config, sockets=[sock]).run()


if __name__ == "__main__":
    main()
