"""Transactional email first: claim invitations of an import never hold up a sign-up's
verification, and go out at a bounded rate (a real SMTP server receives them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from mentor_shared.events.schemas import AccountClaimRequested
from notifications_service.adapters.smtp_sender import SmtpEmailSender
from tests.notifications.conftest import SmtpSink
from tests.notifications.unit.test_reactions_and_delivery import (
    Harness,
    ev,
    harness,
    verification,
    worker,
)
from tests.sealing import SEALER

__all__ = ["harness"]  # the fixture, shared with the delivery tests


def claim(index: int) -> AccountClaimRequested:
    return AccountClaimRequested(
        account_id=f"coach{index}",
        email=f"coach{index}@example.gov.uk",
        display_name=f"Coach {index}",
        sealed_token=SEALER.seal(f"claim-{index}"),
        expires_at=datetime.now(UTC) + timedelta(days=14),
    )


async def test_a_verification_goes_before_queued_invitations_which_go_at_the_set_rate(
    harness: Harness, smtp_sink: SmtpSink
) -> None:
    for index in range(30):
        await harness.apply(ev(claim(index), f"coach{index}"))
    # The sign-up comes after the whole import was queued.
    await harness.apply(verification("new1", "new.person@example.gov.uk", "tok-1"))
    sender = SmtpEmailSender("127.0.0.1", smtp_sink.port)
    delivery = worker(harness, sender, batch=5, bulk_per_minute=6.0)
    now = datetime.now(UTC) + timedelta(seconds=1)

    first = await delivery.run_once(now)
    assert first.sent == 5
    # In the first batch (sent concurrently, so in no set order), ahead of 26 claims.
    assert len(smtp_sink.to("new.person@example.gov.uk")) == 1
    # Six invitations a minute: four went with the verification, two more now, then none.
    assert (await delivery.run_once(now)).sent == 2
    assert (await delivery.run_once(now + timedelta(seconds=5))).sent == 0
    # A minute later the bucket holds a minute's worth again (six), one batch takes five.
    assert (await delivery.run_once(now + timedelta(seconds=65))).sent == 5
    assert len(smtp_sink.messages) == 12
    pending = await harness.rows("SELECT COUNT(*) AS n FROM email_jobs WHERE state = 'pending'")
    assert pending[0]["n"] == 31 - 12


async def test_without_a_bound_invitations_fill_every_batch(
    harness: Harness, smtp_sink: SmtpSink
) -> None:
    for index in range(12):
        await harness.apply(ev(claim(index), f"coach{index}"))
    sender = SmtpEmailSender("127.0.0.1", smtp_sink.port)
    delivery = worker(harness, sender, batch=5, bulk_per_minute=None)
    now = datetime.now(UTC) + timedelta(seconds=1)
    assert [(await delivery.run_once(now)).sent for _ in range(3)] == [5, 5, 2]
