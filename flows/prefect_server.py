"""Which Prefect API the flows of one ``ladder`` command talk to, chosen before Prefect loads.

1. ``PREFECT_API_URL`` set: that server, if it answers.
2. The project's ``ladder platform up`` server (``.prefect/platform/platform.json``), if it
   answers: its API, so no temporary server is started.
3. Otherwise Prefect's temporary (ephemeral) server, started here with a longer limit
   (``LADDER_PREFECT_STARTUP_S``, default 300 s; Prefect's own is 20 s) and one retry with twice
   the limit: on a loaded machine it can take minutes.

When none answers, ``PrefectUnavailable`` carries one line naming the cause and the two ways
out (``--no-prefect``, ``ladder platform up``). Every command that runs a flow has
``--no-prefect`` (``add_prefect_flag``) and then runs the same steps in-process.
"""

from __future__ import annotations

import argparse
import os
import urllib.request
from pathlib import Path

FIX = "run it with --no-prefect, or start a local server once with `ladder platform up`"


class PrefectUnavailable(RuntimeError):
    """No Prefect API could be reached or started; the message is one line."""


def add_prefect_flag(parser: argparse.ArgumentParser) -> None:
    """``--no-prefect`` on a command that runs a flow (``main`` then picks the server)."""
    parser.add_argument("--no-prefect", action="store_true", help="run without Prefect")
    parser.set_defaults(uses_prefect=True)


def healthy(api_url: str, timeout_s: float = 3.0) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url.rstrip('/')}/health", timeout=timeout_s) as r:
            return r.status == 200
    except OSError:
        return False


def startup_limit_s() -> float:
    return float(os.environ.get("LADDER_PREFECT_STARTUP_S", "300"))


def connect(project_dir: str | Path = ".") -> str:
    """Choose the API (see the module doc), set ``PREFECT_API_URL`` when it is a running
    server, and return its URL. Call before Prefect is imported."""
    url = os.environ.get("PREFECT_API_URL")
    if url:
        if healthy(url):
            return url
        raise PrefectUnavailable(f"PREFECT_API_URL={url} does not answer; start it, or {FIX}")
    from flows.platform import load

    info = load(project_dir)
    if info is not None and healthy(info.api_url):
        os.environ["PREFECT_API_URL"] = info.api_url
        return info.api_url
    return start_ephemeral()


def start_ephemeral(limit_s: float | None = None, attempts: int = 2) -> str:
    """Start Prefect's temporary server (the one its client would start) with a longer
    limit, retrying once with twice the limit; its API URL."""
    from prefect.server.api.server import SubprocessASGIServer

    limit = limit_s or startup_limit_s()
    for attempt in range(1, attempts + 1):
        server = SubprocessASGIServer()
        try:
            server.start(timeout=int(limit * attempt))
            return server.api_url
        except Exception as err:  # Prefect raises RuntimeError (or an HTTP error) on timeout
            server.stop()
            if attempt == attempts:
                raise PrefectUnavailable(
                    f"the temporary Prefect server did not start within {limit:.0f}s and "
                    f"{2 * limit:.0f}s (is the machine overloaded?); {FIX}"
                ) from err
    raise AssertionError("unreachable")
