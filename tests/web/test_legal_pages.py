"""The accessibility statement, privacy notice and cookies page, and the phase banner's
feedback link: from settings and from an operator's content files.

The web app runs in uvicorn on a real port; these pages call no service, so the
service addresses point nowhere.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mentor_shared.testing.broker import free_port
from mentor_shared.testing.server import serve_in_thread
from web_service.app import create_web_app
from web_service.settings import WebSettings

NOWHERE = "http://127.0.0.1:9"


def web_app_url(data: Path, **settings: object) -> Iterator[str]:
    port = free_port()
    config = WebSettings.model_validate(
        {
            "environment": "test",
            "log_level": "WARNING",
            "data_dir": data,
            "WEB_PORT": port,
            **{f"{s}_url": NOWHERE for s in ("profile", "matching", "messaging", "notifications")},
            **settings,
        }
    )
    with serve_in_thread(create_web_app(config), port, name="web-legal"):
        yield f"http://127.0.0.1:{port}"


@pytest.fixture(scope="module")
def configured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    content = tmp_path_factory.mktemp("content")
    (content / "cookies.html").write_text(
        '{% extends "base.html" %}{% block page %}'
        '<h1 class="govuk-heading-xl">Cookies at the Ministry of Examples</h1>'
        "<p>{{ legal.cookie_name }}</p>{% endblock %}",
        encoding="utf-8",
    )
    yield from web_app_url(
        tmp_path_factory.mktemp("web-legal"),
        feedback_url="https://surveys.example.gov.uk/mentor-match",
        content_dir=content,
        organisation_name="Ministry of Examples",
        dpo_email="dpo@examples.gov.uk",
        accessibility_compliance="partial",
        accessibility_prepared_on="2026-10-01",
        accessibility_reviewed_on="2026-11-15",
        accessibility_tested_on="2026-09-20",
    )


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_the_accessibility_statement_has_every_section_of_the_sample_statement(
    configured: str,
) -> None:
    page = httpx.get(configured + "/accessibility", timeout=10)
    assert page.status_code == 200
    text = text_of(page.text)
    for section in (
        "How accessible this service is",
        "Feedback and contact information",
        "Reporting accessibility problems with this service",
        "Enforcement procedure",
        "Equality Advisory and Support Service",
        "Compliance status",
        "partially compliant",
        "Non-accessible content",
        "Disproportionate burden",
        "Preparation of this accessibility statement",
        "prepared on 1 October 2026",
        "last reviewed on 15 November 2026",
        "last tested on 20 September 2026",
        "Ministry of Examples",
    ):
        assert section in text, section


def test_the_privacy_notice_has_the_article_13_content(configured: str) -> None:
    page = httpx.get(configured + "/privacy", timeout=10)
    assert page.status_code == 200
    text = text_of(page.text)
    for part in (
        "Ministry of Examples is the data controller",
        "dpo@examples.gov.uk",
        "lawful basis is public task",
        "Government departments can receive a feed",
        "anonymised",
        "How long we keep it",
        "A request that is not answered ends after 14 days",
        "Your rights",
        "Information Commissioner",
        "0303 123 1113",
    ):
        assert part in text, part


def test_an_operators_content_file_replaces_the_packaged_one(configured: str) -> None:
    page = httpx.get(configured + "/cookies", timeout=10)
    assert page.status_code == 200
    assert "Cookies at the Ministry of Examples" in page.text
    assert "mentor_match_session" in page.text


def test_every_page_links_the_feedback_survey_and_the_three_pages(configured: str) -> None:
    page = httpx.get(configured + "/sign-in", timeout=10)
    assert 'href="https://surveys.example.gov.uk/mentor-match"' in page.text
    footer = page.text[page.text.index("govuk-footer") :]
    for href in ("/accessibility", "/privacy", "/cookies"):
        assert f'href="{href}"' in footer, href


def test_by_default_the_cookies_page_names_the_one_cookie_and_feedback_is_by_email(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    for url in web_app_url(tmp_path_factory.mktemp("web-default")):
        page = httpx.get(url + "/cookies", timeout=10)
        assert page.status_code == 200
        text = text_of(page.text)
        assert "mentor_match_session" in text
        assert "after 2 hours without use" in text
        assert 'href="mailto:mentor-match@cabinetoffice.gov.uk?subject=' in page.text
