"""Cards with their responsiveness facts, read in one go for a page of people."""

from __future__ import annotations

from collections.abc import Sequence, Set

from matching_service.api.schemas import CardPublic
from matching_service.domain.replies import usual_reply_days
from matching_service.service.ports import MatchingReadModel
from mentor_shared.events.schemas import ProfileUpserted


async def cards_for(
    read: MatchingReadModel,
    profiles: dict[str, ProfileUpserted],
    ids: Sequence[str],
    reveal: Set[str] = frozenset(),
) -> dict[str, CardPublic]:
    """Cards of these people (those matching no longer holds left out).

    Each card carries ``usual_reply_days`` (three replies or more) and ``last_active``
    (a month), both left out of anonymised cards by :meth:`CardPublic.of`.

    Args:
        read: Matching's read model.
        profiles: The stored profiles of (at least) these people.
        ids: The people, in any order (repeats are read once).
        reveal: People shown in full even when anonymous (a person's own card).
    """
    known = [pid for pid in dict.fromkeys(ids) if pid in profiles]
    replies = await read.reply_times_among(known)
    months = await read.active_months(known)
    return {
        pid: CardPublic.of(
            profiles[pid],
            reveal=pid in reveal,
            usual_reply_days=usual_reply_days(replies.get(pid)),
            last_active=months.get(pid),
        )
        for pid in known
    }
