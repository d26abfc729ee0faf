"""Entry point of the payments API."""

import logging
import os

from payments.config import load_settings
from payments.gateway import GatewayClient

log = logging.getLogger("payments")


def main() -> None:
    settings = load_settings(os.environ)
    client = GatewayClient(settings.gateway_url, settings.gateway_timeout)
    log.info("payments ready", extra={"gateway": settings.gateway_url})
    client.serve_forever()


if __name__ == "__main__":
    main()
