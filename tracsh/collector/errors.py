"""The collector's refusals: a status, a message naming the problem, and JSON.

Every refusal a client can cause is a ClientError with a 4xx status (or 503
when the daemon is busy), answered as ``{"error": message, "status": code}``.
"""

from __future__ import annotations

from starlette.responses import JSONResponse


class ClientError(Exception):
    """A request the collector refuses, and why; ``reason`` labels the metric."""

    def __init__(
        self,
        status: int,
        message: str,
        *,
        reason: str = "invalid",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.reason = reason
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        """The JSON answer for this refusal."""
        return error_response(self.status, self.message, self.headers)


def error_response(
    status: int, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """``{"error": message, "status": status}`` with that status."""
    return JSONResponse(
        {"error": message, "status": status}, status_code=status, headers=headers
    )
