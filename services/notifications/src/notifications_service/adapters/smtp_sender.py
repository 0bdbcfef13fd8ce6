"""Email over SMTP with aiosmtplib: plain text and HTML, attachments, one-click unsubscribe."""

from __future__ import annotations

from dataclasses import KW_ONLY, dataclass, field
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from notifications_service.domain.model import EmailJob
from notifications_service.service.ports import DeliveryError


def build_message(job: EmailJob, *, mail_from: str) -> EmailMessage:
    """The MIME message for a job, with List-Unsubscribe headers (RFC 2369, RFC 8058)."""
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = job.to_address
    message["Subject"] = job.subject
    message["Date"] = formatdate(usegmt=True)
    # The job id: a repeat after a crash carries the same id, so mail systems can drop it.
    message["Message-ID"] = f"<{job.id}@mentor-match>"
    message["List-Unsubscribe"] = f"<{job.unsubscribe_url}>"
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(job.text)
    message.add_alternative(job.html, subtype="html")
    for attachment in job.attachments:
        maintype, _, rest = attachment.content_type.partition("/")
        subtype, *params = (text.strip() for text in rest.split(";"))
        message.add_attachment(
            attachment.content,
            maintype=maintype,
            subtype=subtype,
            filename=attachment.filename,
        )
        # Content-Type parameters as given (``method=CANCEL; charset=utf-8``, RFC 6047).
        part = list(message.iter_attachments())[-1]
        for param in filter(None, params):
            key, _, value = param.partition("=")
            part.set_param(key.strip(), value.strip())
    return message


@dataclass(frozen=True, slots=True)
class SmtpEmailSender:
    """Sends through an SMTP server; connection problems and 4xx replies are retried."""

    host: str
    port: int
    _: KW_ONLY
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    use_tls: bool = False
    start_tls: bool = False
    timeout_s: float = 15.0

    async def send(self, job: EmailJob, *, mail_from: str) -> None:
        """Send one email; DeliveryError(permanent=True) for a 5xx refusal."""
        message = build_message(job, mail_from=mail_from)
        try:
            await aiosmtplib.send(
                message,
                hostname=self.host,
                port=self.port,
                username=self.username,
                password=self.password,
                use_tls=self.use_tls,
                start_tls=self.start_tls if not self.use_tls else False,
                timeout=self.timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            permanent = all(r.code >= 500 for r in exc.recipients)
            raise DeliveryError("recipient refused", permanent=permanent) from exc
        except aiosmtplib.SMTPResponseException as exc:
            raise DeliveryError(f"smtp {exc.code}", permanent=exc.code >= 500) from exc
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            raise DeliveryError(type(exc).__name__) from exc
