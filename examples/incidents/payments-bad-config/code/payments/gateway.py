"""A small client for the payment service provider's gateway."""

import time


class GatewayClient:
    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout

    def charge(self, order_id: str, amount_cents: int) -> dict[str, object]:
        started = time.monotonic()
        # The real client posts to the gateway; the shape of the answer is what matters here.
        return {"order": order_id, "amount": amount_cents, "took": time.monotonic() - started}

    def serve_forever(self) -> None:
        while True:
            time.sleep(3600)
