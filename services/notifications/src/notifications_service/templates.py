"""Renders a :class:`Letter` as a plain-text and an HTML email.

The HTML follows the GOV.UK email look: one column, system fonts, 19px body
text, a plain underlined link for the action (no buttons made of images), a
language attribute and no layout tables, so screen readers read it in order.
Everything inserted is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from notifications_service.domain.messages import DigestItem, Letter

SERVICE_NAME = "Mentor Match"


def render_text(
    letter: Letter,
    recipient_name: str,
    unsubscribe_url: str,
    items: Sequence[DigestItem] = (),
) -> str:
    """The plain-text part (``items``: the bulleted list of a digest)."""
    lines = [f"Dear {recipient_name},", ""]
    for paragraph in letter.paragraphs:
        lines += [paragraph, ""]
    for item in items:
        lines += [f"* {item.text}", f"  {item.url}"]
    if items:
        lines.append("")
    lines += [f"{letter.action_label}:", letter.action_url, ""]
    for note in letter.footnotes:
        lines += [note, ""]
    lines += [
        SERVICE_NAME,
        "",
        "---",
        f"Stop these emails: {unsubscribe_url}",
    ]
    return "\n".join(lines) + "\n"


_P = '<p style="margin: 0 0 20px 0; font-size: 19px; line-height: 1.315789474;">{}</p>'


_UL = '<ul style="margin: 0 0 20px 0; padding-left: 20px; font-size: 19px; line-height: 1.315789474;">'
_LI = '<li style="margin-bottom: 5px;">{}</li>'


def render_html(
    letter: Letter,
    recipient_name: str,
    unsubscribe_url: str,
    items: Sequence[DigestItem] = (),
) -> str:
    """The HTML part (``items``: the bulleted list of a digest, each a link)."""
    body = [_P.format(f"Dear {escape(recipient_name)},")]
    body += [_P.format(escape(paragraph)) for paragraph in letter.paragraphs]
    if items:
        body.append(_UL)
        body += [
            _LI.format(
                f'<a href="{escape(item.url, quote=True)}" style="color: #1d70b8;">'
                f"{escape(item.text)}</a>"
            )
            for item in items
        ]
        body.append("</ul>")
    body.append(
        _P.format(
            f'<a href="{escape(letter.action_url, quote=True)}" '
            f'style="color: #1d70b8;">{escape(letter.action_label)}</a>'
        )
    )
    body += [_P.format(escape(note)) for note in letter.footnotes]
    body.append(_P.format(escape(SERVICE_NAME)))
    footer = (
        '<p style="margin: 30px 0 0 0; font-size: 16px; color: #505a5f;">'
        f'<a href="{escape(unsubscribe_url, quote=True)}" style="color: #1d70b8;">'
        "Stop getting these emails</a></p>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(letter.subject)}</title>\n</head>\n"
        '<body style="margin: 0; padding: 0; font-family: Helvetica, Arial, sans-serif; '
        'color: #0b0c0c; background: #ffffff;">\n'
        '<div style="background: #0b0c0c; padding: 10px 15px;">'
        '<span style="color: #ffffff; font-size: 28px; font-weight: 700;">'
        f"{SERVICE_NAME}</span></div>\n"
        '<main style="max-width: 580px; padding: 20px 15px;">\n'
        + "\n".join(body)
        + "\n"
        + footer
        + "\n</main>\n</body>\n</html>\n"
    )
