"""`python -m web`: read the config, serve the console."""

from __future__ import annotations

import sys

import uvicorn
from pydantic import ValidationError

from servicekit.logging import configure_logging
from servicekit.runner import config_error_line
from servicekit.server import JoinedHttpToolsProtocol
from web.app import build
from web.settings import Settings


def main() -> None:
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"web: cannot start: {config_error_line(exc)}", file=sys.stderr)
        sys.exit(2)
    configure_logging("web", level=settings.log_level, fmt=settings.log_format)
    # The gateway is the console's proxy: the address it names in X-Forwarded-For is the person's.
    uvicorn.run(build(settings), host=settings.host, port=settings.port, log_config=None, access_log=False,
                http=JoinedHttpToolsProtocol, proxy_headers=True, forwarded_allow_ips=settings.forwarded_allow_ips)


if __name__ == "__main__":
    main()
