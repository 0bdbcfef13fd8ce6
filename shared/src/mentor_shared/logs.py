"""Structured logging for every service, with personal data kept out of the output.

``configure_logging`` sets up structlog and routes the standard library's loggers
(uvicorn, aiokafka, httpx) through the same processors, so every line a service
writes has the same shape: JSON in production, a readable console format in
development. The privacy notice promises that logs never hold passwords, tokens,
contact details or message bodies; :func:`redact_personal_data` enforces that on
every line, whatever the caller passed.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, TextIO

import structlog
from structlog.tracebacks import ExceptionDictTransformer
from structlog.typing import EventDict, Processor, WrappedLogger

REDACTED = "[redacted]"

# Substrings of a key name that mark its value as a secret.
_SECRET_KEY_PARTS = (
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cookie",
    "api_key",
    "apikey",
    "credential",
    "private_key",
    "signing_key",
)
# Identifiers and counters *about* a secret are safe and useful (``token_id`` is a
# JWT's ``jti``, ``token_type`` is "bearer").
_SAFE_KEY_SUFFIXES = ("_id", "_ids", "_count", "_type")
# Free text a person wrote: message bodies and profile prose.
_BODY_KEYS = frozenset({"body", "message", "message_body", "text", "content"})
_BODY_KEY_SUFFIXES = ("_body", "_text")

# One pass over each string, alternatives tried left to right at each position:
# - credentials inside connection strings: mongodb://user:pass@host;
# - JWTs (every JWT starts with the base64 of '{"');
# - Authorization header values;
# - ``token=...`` and friends inside URLs, query strings and messages;
# - email addresses;
# - UK phone numbers: +44 (optionally "(0)") or a leading 0, then 9-10 more
#   digits with single spaces, hyphens or brackets between them (+44 20 7946 0958,
#   07700 900123, (020) 7946-0958). The look-arounds stop it eating parts of
#   UUIDs, hex ids or longer numbers.
_SENSITIVE_TEXT = re.compile(
    r"(?P<userinfo>\b(?P<scheme>[a-z][a-z0-9+.-]*://)[^/\s:@]+:[^/\s@]+@)"
    r"|(?P<jwt>\beyJ[a-z0-9_-]+\.[a-z0-9_-]+\.[a-z0-9_-]*)"
    r"|(?P<auth>\b(?P<auth_scheme>bearer|basic)\s+[a-z0-9._~+/=-]+)"
    r"|(?P<assignment>\b(?P<assignment_key>[\w-]*(?:password|passwd|secret|token|api_key|apikey)[\w-]*)"
    r"=[^&\s\"',;]+)"
    r"|(?P<email>[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})"
    r"|(?P<phone>(?<![\w+.-])(?:\+44[\s-]?(?:\(0\)[\s-]?)?|\(?0)\d(?:\)?[\s-]?\d){8,9}(?![\w-]))",
    re.IGNORECASE,
)
# Nothing above can match a string without one of these.
_TRIGGER = re.compile(r"[@=]|eyJ|bearer|basic|\+44|(?<![\w+.-])\(?0\d", re.IGNORECASE)
# Keys the logging set-up itself adds, never personal data: not worth scanning.
_SET_UP_KEYS = frozenset({"timestamp", "level", "logger", "service"})


def _replacement(match: re.Match[str]) -> str:
    if match.group("userinfo"):
        return f"{match.group('scheme')}[redacted]@"
    if match.group("jwt"):
        return "[redacted-token]"
    if match.group("auth"):
        return f"{match.group('auth_scheme')} [redacted-token]"
    if match.group("assignment"):
        return f"{match.group('assignment_key')}=[redacted]"
    if match.group("email"):
        return "[redacted-email]"
    return "[redacted-phone]"


@lru_cache(maxsize=1024)
def _is_redacted_key(key: str) -> bool:
    name = key.lower().replace("-", "_")
    if name in _BODY_KEYS or name.endswith(_BODY_KEY_SUFFIXES):
        return True
    if name.endswith(_SAFE_KEY_SUFFIXES):
        return False
    return any(part in name for part in _SECRET_KEY_PARTS)


def is_redacted_key(key: str) -> bool:
    """Whether a value stored under ``key`` is withheld whole (a secret or free text)."""
    return _is_redacted_key(key)


def scrub_text(text: str) -> str:
    """Replace email addresses, UK phone numbers, JWTs and inline secrets in ``text``.

    Args:
        text: Any string that may end up in a log line.

    Returns:
        The string with each sensitive fragment replaced by a ``[redacted-...]`` marker.
    """
    if len(text) < 6 or not _TRIGGER.search(text):
        return text
    return _SENSITIVE_TEXT.sub(_replacement, text)


def _redact_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, Mapping):
        return _redact_mapping(value)
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact_value(item) for item in value]
    if value is None or isinstance(value, bool | int | float):
        return value
    # Anything else (a model, a dataclass) is rendered through its repr anyway;
    # scrub that text, since it may show an email or a phone number.
    return scrub_text(repr(value))


def _redact_mapping(mapping: Mapping[Any, Any]) -> dict[Any, Any]:
    redacted: dict[Any, Any] = {}
    for key, value in mapping.items():
        if isinstance(key, str) and key in _SET_UP_KEYS:
            redacted[key] = value
        elif isinstance(key, str) and value is not None and _is_redacted_key(key):
            redacted[key] = REDACTED
        else:
            redacted[key] = _redact_value(value)
    return redacted


def redact_personal_data(
    logger: WrappedLogger, method_name: str, event_dict: EventDict
) -> EventDict:
    """structlog processor that keeps secrets and personal data out of a log line.

    Values under secret-looking keys (password, token, authorization, cookie,
    api_key, ...) and free-text keys (body, message, text, content, ...) become
    ``"[redacted]"``, at any depth of nested dicts and lists. Every other string,
    the event name and rendered exceptions included, is scrubbed of email
    addresses, UK phone numbers, JWTs and ``key=secret`` fragments.
    """
    cleaned: EventDict = {}
    event = event_dict.get("event")
    if event is not None:
        # The event name itself is never a secret key, but it may be a
        # formatted stdlib message with an address or a token inside.
        cleaned["event"] = scrub_text(event) if isinstance(event, str) else _redact_value(event)
    cleaned.update(_redact_mapping({k: v for k, v in event_dict.items() if k != "event"}))
    return cleaned


def _add_service(service_name: str) -> Processor:
    def add_service(logger: WrappedLogger, method_name: str, event_dict: EventDict) -> EventDict:
        event_dict.setdefault("service", service_name)
        return event_dict

    return add_service


def _drop_formatter_fields(
    logger: WrappedLogger, method_name: str, event_dict: EventDict
) -> EventDict:
    # Another formatter that saw the record first (a test runner's) leaves
    # ``message`` and ``asctime`` on it, and uvicorn adds an ANSI-coloured copy
    # of its message; ``event`` already holds the message.
    for name in ("message", "asctime", "color_message"):
        event_dict.pop(name, None)
    return event_dict


class _StructlogHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the root handler this module installed, so reconfiguring replaces it."""


def configure_logging(
    service_name: str,
    *,
    json: bool,
    level: str = "INFO",
    stream: TextIO | None = None,
) -> None:
    """Configure structlog and the standard library's logging for one service process.

    Safe to call more than once (tests, or a runner that reconfigures): the
    previous handler is replaced, never duplicated.

    Args:
        service_name: Added to every line as ``service``.
        json: One JSON object per line (production) instead of the console format.
        level: Minimum level name, e.g. ``"INFO"`` or ``"DEBUG"``.
        stream: Where lines go; standard error by default.
    """
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    # Run on every line, whether it came from structlog or from a stdlib logger.
    # Nothing here depends on the arguments: structlog caches loggers with this
    # chain, so what varies lives in the handler's formatter below.
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.add_log_level,
        timestamper,
    ]
    exception_processor: Processor
    renderer: Processor
    if json:
        # Locals are left out: a frame's variables may hold a password.
        exception_processor = structlog.processors.ExceptionRenderer(
            ExceptionDictTransformer(show_locals=False)
        )
        renderer = structlog.processors.JSONRenderer()
    else:
        exception_processor = structlog.processors.format_exc_info
        renderer = structlog.dev.ConsoleRenderer(
            colors=False, exception_formatter=structlog.dev.plain_traceback
        )

    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*shared, structlog.stdlib.ExtraAdder(), _drop_formatter_fields],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            _add_service(service_name),
            exception_processor,
            structlog.processors.UnicodeDecoder(),
            # Last before rendering, so rendered tracebacks are scrubbed too.
            redact_personal_data,
            renderer,
        ],
    )
    handler = _StructlogHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(formatter)

    root = logging.getLogger()
    for existing in list(root.handlers):
        # Ours from an earlier call, or a plain one from ``logging.basicConfig``,
        # which would print structlog's event dicts unredacted. Handlers of other
        # types (a test runner's capture) are left alone.
        if isinstance(existing, _StructlogHandler) or type(existing) is logging.StreamHandler:
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level.upper())

    # uvicorn installs its own handlers unless told otherwise; send everything to
    # the root handler. Its access log prints full URLs with query strings (which
    # can carry tokens), so it is silenced: the request middleware logs one line
    # per request instead.
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "aiokafka", "httpx", "httpx2"):
        stdlib_logger = logging.getLogger(name)
        stdlib_logger.handlers.clear()
        stdlib_logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # httpx (and httpx2, Starlette's test client) log every request URL at info
    # level; only their problems are of interest.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpx2").setLevel(logging.WARNING)

    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        context_class=dict,
        cache_logger_on_first_use=True,
    )
