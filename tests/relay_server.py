"""A server process as ``solidcheck serve`` builds it, plus one test route streaming the live
bus's alert changes as JSON lines (the stand-in for the SSE stream another part builds; the
relay's tests read it the way an SSE client reads events).

    python tests/relay_server.py PORT DATABASE_URL FRAME_LOG_DIR
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import uvicorn
from fastapi import Request
from fastapi.responses import StreamingResponse

from solidcheck.registry import Registry
from solidcheck.web import Settings, create_app


def main() -> None:
    port, database, frames = int(sys.argv[1]), sys.argv[2], Path(sys.argv[3])
    with Registry.open(database, create=True) as registry:
        app = create_app(Settings(database_url=database, ocpp_log_dir=frames,
                                  rate_limit_per_minute=0), registry=registry)

        async def changes(request: Request) -> StreamingResponse:
            subscription = request.app.state.live.bus.subscribe()

            async def lines() -> AsyncIterator[str]:
                yield json.dumps({"ready": True}) + "\n"  # subscribed: the test may go on
                async for change in subscription:
                    yield json.dumps({"event": change.event,
                                      "alert": change.alert.model_dump(mode="json")}) + "\n"

            return StreamingResponse(lines(), media_type="application/x-ndjson")

        app.add_api_route("/test/alert-changes", changes)
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning",
                    ws_max_size=app.state.ocpp.rule.max_frame_bytes)


if __name__ == "__main__":
    main()
