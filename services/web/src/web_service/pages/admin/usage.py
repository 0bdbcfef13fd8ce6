"""Usage figures: charts with the same data as tables, and the match report download."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from markupsafe import Markup

from web_service.backend import ApiError, ServiceUnavailable
from web_service.chart import Series, bar_chart_svg
from web_service.deps import AdminSession, BackendDep
from web_service.reference import department_names
from web_service.rendering import render

router = APIRouter()


@router.get("/usage")
async def usage(request: Request, session: AdminSession, backend: BackendDep) -> Response:
    """Usage figures with charts and the same data as tables."""
    stats = await backend.json("profile", "GET", "/v1/admin/stats", session=session)
    names = await department_names(request)
    by_department = sorted(
        stats.get("by_department", {}).items(), key=lambda item: (-item[1], item[0])
    )
    people_rows = [(names.get(code, code or "Not given"), count) for code, count in by_department]
    people_chart = bar_chart_svg(
        [label for label, _ in people_rows[:20]],
        [Series("People", "mm-bar-requests", [count for _, count in people_rows[:20]])],
        title="People by department (largest 20)",
        description="Bar chart. The same figures are in the table below it.",
        chart_id="people-chart",
    )
    weekly, weekly_unavailable = await _weekly_activity(backend, session, names)
    checkins = await _checkin_summary(backend, session)
    weekly_chart = None
    if weekly:
        labels = [f"{row['week']} {row['department']}" for row in weekly]
        weekly_chart = bar_chart_svg(
            labels,
            [
                Series("Requests", "mm-bar-requests", [row["requests"] for row in weekly]),
                Series("Matches", "mm-bar-matches", [row["matches"] for row in weekly]),
            ],
            title="Requests and matches per week by department",
            description="Grouped bar chart. The same figures are in the table below it.",
            chart_id="weekly-chart",
        )
    return render(
        request,
        "admin/usage.html",
        title="Usage",
        stats=stats,
        people_rows=people_rows,
        people_chart=Markup(people_chart),  # noqa: S704 - built by bar_chart_svg, which escapes every label
        weekly=weekly,
        weekly_chart=Markup(weekly_chart) if weekly_chart else None,  # noqa: S704 - as above
        weekly_unavailable=weekly_unavailable,
        checkins=checkins,
    )


async def _checkin_summary(backend: BackendDep, session: AdminSession) -> dict[str, Any] | None:
    """Check-in aggregates per round from the notifications service (small groups
    already suppressed there), or None when it cannot be reached."""
    try:
        found = await backend.json(
            "notifications", "GET", "/v1/admin/checkins/summary", session=session
        )
    except (ServiceUnavailable, ApiError):
        return None
    return found if isinstance(found, dict) else None


@router.get("/usage/matches.csv")
async def matches_csv(session: AdminSession, backend: BackendDep) -> Response:
    """The matching service's match report (already aggregated and suppressed), as a download."""
    answer = await backend.call("matching", "GET", "/v1/admin/reports/matches.csv", session=session)
    return Response(
        answer.content,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="mentor-match-matches.csv"',
            "Cache-Control": "no-store",
        },
    )


async def _weekly_activity(
    backend: BackendDep, session: AdminSession, names: dict[str, str]
) -> tuple[list[dict[str, Any]], bool]:
    """Requests and matches per ISO week and department, from the matching service.

    Returns the rows and whether the figures were unavailable.
    """
    try:
        found = await backend.json("matching", "GET", "/v1/admin/stats/matching", session=session)
    except (ServiceUnavailable, ApiError):
        return [], True
    rows = found.get("weekly", []) if isinstance(found, dict) else []
    return [
        {
            "week": str(row.get("week", "")),
            "department": names.get(
                row.get("department") or "", row.get("department") or "Not given"
            ),
            "requests": int(row.get("requests", 0)),
            "matches": int(row.get("accepted", 0)),
        }
        for row in rows
        if isinstance(row, dict)
    ], False
