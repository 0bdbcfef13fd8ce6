"""Liveness, readiness and metrics endpoints every service exposes.

``/healthz`` answers while the process is up; ``/readyz`` runs the service's
readiness checks (its store, the broker) concurrently, each time-limited, and
answers 503 when any fails; ``/metrics`` is the Prometheus exposition. Checks
are registered at run time, because the service's lifespan creates the clients
they probe: ``app.state.readiness.add(check)``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest

log = structlog.get_logger(__name__)

DEFAULT_CHECK_TIMEOUT_S = 2.0


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Outcome of one readiness check; ``detail`` is shown on ``/readyz``."""

    name: str
    ok: bool
    detail: dict[str, Any] = field(default_factory=dict)


ReadinessCheck = Callable[[], Awaitable[CheckResult]]
"""An async callable probing one dependency; it should not raise, but may."""


def _check_name(check: ReadinessCheck) -> str:
    name = getattr(check, "name", None) or getattr(check, "__name__", None)
    return name if isinstance(name, str) else type(check).__name__


class ReadinessRegistry:
    """The readiness checks of one app, added while the app starts.

    Args:
        checks: Checks known up front.
        timeout_s: Time allowed to each check before it counts as failed.
    """

    def __init__(
        self, checks: Sequence[ReadinessCheck] = (), *, timeout_s: float = DEFAULT_CHECK_TIMEOUT_S
    ) -> None:
        self._checks: list[ReadinessCheck] = list(checks)
        self.timeout_s = timeout_s

    def add(self, check: ReadinessCheck) -> None:
        """Register ``check``; it runs on every ``/readyz`` request from now on."""
        self._checks.append(check)

    def clear(self) -> None:
        """Forget every check (the lifespan does this on shutdown)."""
        self._checks.clear()

    def __iter__(self) -> Iterator[ReadinessCheck]:
        return iter(tuple(self._checks))

    def __len__(self) -> int:
        return len(self._checks)

    async def run(self) -> tuple[bool, dict[str, dict[str, Any]]]:
        """Run every check concurrently; return overall readiness and per-check results."""
        return await run_checks(tuple(self._checks), timeout_s=self.timeout_s)


async def _run_one(check: ReadinessCheck, timeout_s: float) -> CheckResult:
    name = _check_name(check)
    try:
        return await asyncio.wait_for(check(), timeout=timeout_s)
    except TimeoutError:
        log.warning("readiness_check_timed_out", check=name, timeout_s=timeout_s)
        return CheckResult(name=name, ok=False, detail={"error": "timeout"})
    except Exception as exc:  # noqa: BLE001 - a failing check means "not ready", logged below
        # The message stays in the log: /readyz is public and must not describe internals.
        log.warning(
            "readiness_check_failed", check=name, error_type=type(exc).__name__, error=str(exc)
        )
        return CheckResult(name=name, ok=False, detail={"error": type(exc).__name__})


async def run_checks(
    checks: Sequence[ReadinessCheck], *, timeout_s: float = DEFAULT_CHECK_TIMEOUT_S
) -> tuple[bool, dict[str, dict[str, Any]]]:
    """Run ``checks`` concurrently, each limited to ``timeout_s``.

    Returns:
        Whether all passed, and ``{name: {**detail, "ok": bool}}``.
    """
    results = await asyncio.gather(*(_run_one(check, timeout_s) for check in checks))
    report = {result.name: {**result.detail, "ok": result.ok} for result in results}
    return all(result.ok for result in results), report


ChecksSource = ReadinessRegistry | Callable[[], Sequence[ReadinessCheck]]


def _checks_from_app(request: Request, timeout_s: float) -> tuple[Sequence[ReadinessCheck], float]:
    registry = getattr(request.app.state, "readiness", None)
    if registry is None:
        return (), timeout_s
    if isinstance(registry, ReadinessRegistry):
        return tuple(registry), registry.timeout_s
    return tuple(registry), timeout_s


def health_router(
    checks: ChecksSource | None = None, *, timeout_s: float = DEFAULT_CHECK_TIMEOUT_S
) -> APIRouter:
    """Build the router with ``GET /healthz``, ``GET /readyz`` and ``GET /metrics``.

    Args:
        checks: Where the readiness checks come from: a registry, or a callable
            returning the current checks. ``None`` reads ``app.state.readiness``
            (a :class:`ReadinessRegistry` or a list of checks) on each request.
        timeout_s: Per-check time limit, unless the checks come from a
            :class:`ReadinessRegistry`, which carries its own.
    """
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="The process is up")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Every dependency this service needs is reachable",
        responses={503: {"description": "At least one check failed"}},
    )
    async def readyz(request: Request) -> JSONResponse:
        if isinstance(checks, ReadinessRegistry):
            ready, report = await checks.run()
        else:
            if checks is None:
                current, limit = _checks_from_app(request, timeout_s)
            else:
                current, limit = checks(), timeout_s
            ready, report = await run_checks(current, timeout_s=limit)
        return JSONResponse(
            {"status": "ready" if ready else "not_ready", "checks": report},
            status_code=200 if ready else 503,
        )

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    async def metrics(request: Request) -> Response:
        # Gauges read at scrape time (outbox backlog, consumer lag) are set first.
        for refresh in getattr(request.app.state, "metrics_refreshers", ()):
            try:
                await refresh()
            # A store that is down must not hide the other figures; the failure is logged.
            except Exception as exc:  # noqa: BLE001
                log.warning("metrics_refresh_failed", error_type=type(exc).__name__)
        return Response(generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return router
