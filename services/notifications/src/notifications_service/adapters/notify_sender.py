"""Email through GOV.UK Notify with the official ``notifications-python-client``.

Notify renders the email from a template made in its web interface; each kind
of notification has its own template id (settings), and the template uses the
personalisation fields ``name``, ``subject``, ``body``, ``action_label`` and
``action_url`` (and ``link_to_file`` for a calendar invitation). The client is
blocking (``requests``), so every call runs in a worker thread.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Mapping
from typing import Any

from notifications_python_client.errors import APIError, HTTPError
from notifications_python_client.notifications import NotificationsAPIClient
from notifications_python_client.utils import prepare_upload

from notifications_service.domain.model import EmailJob
from notifications_service.service.ports import DeliveryError


class NotifyEmailSender:
    """Sends through GOV.UK Notify; 429 and 5xx answers are retried."""

    def __init__(
        self,
        api_key: str,
        template_ids: Mapping[str, str],
        *,
        base_url: str = "https://api.notifications.service.gov.uk",
        timeout_s: float = 15.0,
    ) -> None:
        self._client = NotificationsAPIClient(  # type: ignore[no-untyped-call]
            api_key, base_url=base_url, timeout=timeout_s
        )
        self._template_ids = dict(template_ids)

    def _send_blocking(self, job: EmailJob) -> Any:
        template_id = self._template_ids.get(job.kind) or self._template_ids.get("default")
        if not template_id:
            raise DeliveryError(f"no Notify template for {job.kind}", permanent=True)
        personalisation: dict[str, Any] = dict(job.personalisation)
        for attachment in job.attachments:
            personalisation["link_to_file"] = prepare_upload(  # type: ignore[no-untyped-call]
                io.BytesIO(attachment.content), filename=attachment.filename
            )
        return self._client.send_email_notification(  # type: ignore[no-untyped-call]
            email_address=job.to_address,
            template_id=template_id,
            personalisation=personalisation,
            reference=job.id,
            one_click_unsubscribe_url=job.unsubscribe_url,
        )

    async def send(self, job: EmailJob, *, mail_from: str) -> None:
        """Send one email (``mail_from`` is set in Notify, not per message)."""
        try:
            await asyncio.to_thread(self._send_blocking, job)
        except HTTPError as exc:
            status = int(getattr(exc, "status_code", 0) or 0)
            permanent = 400 <= status < 500 and status != 429
            raise DeliveryError(f"notify {status}", permanent=permanent) from exc
        except APIError as exc:
            raise DeliveryError(type(exc).__name__) from exc
        except OSError as exc:
            raise DeliveryError(type(exc).__name__) from exc
