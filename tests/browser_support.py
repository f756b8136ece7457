"""What the browser tests share besides conftest's ``browser`` and ``artifacts`` fixtures:
Debian's Chromium and its flags, and the app served by uvicorn on a loopback port in a thread
of the test process.

The socket is listening before the server starts, so the first request simply waits for it;
every wait in the tests is one of Playwright's, never a fixed sleep."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


@contextmanager
def served(app: Any) -> Iterator[str]:
    """``app`` on uvicorn on a free loopback port; yields its ``http://`` base URL."""
    listening = socket.socket()
    listening.bind(("127.0.0.1", 0))
    listening.listen(64)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listening]}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listening.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listening.close()
    assert not thread.is_alive(), "uvicorn did not stop"



def axe_violations(page: Any) -> list[str]:
    """WCAG 2 A and AA violations axe-core finds on the page (run through DevTools, which
    the page's Content-Security-Policy does not govern)."""
    import axe_selenium_python

    source = (Path(axe_selenium_python.__file__).parent / "node_modules" / "axe-core"
              / "axe.min.js").read_text("utf-8")
    page.evaluate(source)
    results = page.evaluate("axe.run(document, {runOnly: {type: 'tag', "
                            "values: ['wcag2a', 'wcag2aa']}})")
    return [f"{v['id']}: {v['help']} — {[n['html'][:100] for n in v['nodes']]}"
            for v in results["violations"]]
