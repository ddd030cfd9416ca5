"""The floor of bench/request_cost.py: the least a request to this service can cost, so that
the service's paths are measured against it in the same run on the same machine.

One FastAPI endpoint running one query by primary key (the users table) on the service's own
SQLite file, through the service's engine (``build_engine``: WAL, busy timeout, the same pool and
BEGIN handling); a sync endpoint, as the service's are. The database URL comes from
``FLOOR_DATABASE_URL``. Served by uvicorn with the service's worker count:
``python bench/support/floor_app.py --port P --workers N``.

With several workers the port is taken as ``mediaobjects serve`` takes it
(``serving.hold_port``): each process listens on its own socket (SO_REUSEPORT, so connections
are spread over the processes) made with ``IPPROTO_TCP`` (uvicorn's own binding leaves
TCP_NODELAY off and each keep-alive response waits about 40 ms for the client's delayed ACK,
Kludex/uvicorn#3149). The floor is what the framework can do, not that."""

from __future__ import annotations

import argparse
import os

import uvicorn
from fastapi import FastAPI
from sqlalchemy import text
from uvicorn.supervisors import Multiprocess

from mediaobjects.db.engine import build_engine
from mediaobjects.serving import hold_port

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
    Multiprocess(config, sockets=[hold_port(host, args.port)]).run()


if __name__ == "__main__":
    main()
