"""The single API origin: the path table, and the Caddyfile and Ingress made from it.

``deploy/origin/routes.yaml`` says which service answers which path under one host.
:func:`render_caddyfile` turns it into the compose file's reverse proxy
(``deploy/origin/Caddyfile``) and :func:`render_ingress` into the Kubernetes Ingress
(``deploy/k8s/base/ingress.yaml``); ``make docs`` writes both
(``python -m mentor_match_ops.origin``) and the tests compare them with a fresh render,
so the three never disagree. :meth:`OriginTable.services_for` is the table's own
reading of a path, which the tests hold the parsed Caddyfile and Ingress to.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[3]
TABLE_FILE = ROOT / "deploy" / "origin" / "routes.yaml"
CADDYFILE = ROOT / "deploy" / "origin" / "Caddyfile"
INGRESS_FILE = ROOT / "deploy" / "k8s" / "base" / "ingress.yaml"

INGRESS_BODY_LIMIT = "22m"
"""ingress-nginx refuses bodies over 1 MiB by default; the largest a service takes is
the LinkedIn export (21 MiB), and each service answers 413 itself above its own limit."""


@dataclass(frozen=True, slots=True)
class Rule:
    """One path of the table: ``path`` alone (exact) or it and everything below (prefix)."""

    service: str
    path: str
    exact: bool

    def matches(self, path: str) -> bool:
        """Whether a request for ``path`` is sent to :attr:`service` by this rule."""
        if self.exact:
            return path == self.path
        return path == self.path or path.startswith(self.path.rstrip("/") + "/")


@dataclass(frozen=True, slots=True)
class OriginTable:
    """Which service answers which path; anything unnamed goes to :attr:`default`."""

    host: str
    default: str
    upstreams: Mapping[str, int]
    rules: tuple[Rule, ...]

    @classmethod
    def load(cls, path: Path = TABLE_FILE) -> OriginTable:
        """Read the table from its YAML file."""
        document: dict[str, Any] = yaml.safe_load(path.read_text())
        rules = tuple(
            Rule(service, route, kind == "exact")
            for service, kinds in document["routes"].items()
            for kind in ("exact", "prefix")
            for route in kinds.get(kind, [])
        )
        table = cls(
            host=document["host"],
            default=document["default"],
            upstreams={name: int(port) for name, port in document["upstreams"].items()},
            rules=rules,
        )
        unknown = {rule.service for rule in rules} - set(table.upstreams)
        if unknown or table.default not in table.upstreams:
            raise ValueError(f"routes name services without an upstream: {sorted(unknown)}")
        return table

    def services(self) -> list[str]:
        """The services that have rules, in the table's order."""
        return list(dict.fromkeys(rule.service for rule in self.rules))

    def rules_of(self, service: str) -> list[Rule]:
        """``service``'s rules, exact paths first."""
        return [rule for rule in self.rules if rule.service == service]

    def services_for(self, path: str) -> set[str]:
        """Every service a rule sends ``path`` to; the default alone when none does."""
        found = {rule.service for rule in self.rules if rule.matches(path)}
        return found or {self.default}


def _upstream_variable(service: str) -> str:
    return f"{service.upper()}_UPSTREAM"


def render_caddyfile(table: OriginTable) -> str:
    """The Caddy 2 configuration serving ``table`` on one address.

    Each service's paths are one named matcher and one ``handle`` (handles are
    exclusive: the first that matches answers); the unmatched rest goes to the default.
    The listen address and each upstream can be changed by environment variables
    (``ORIGIN_ADDRESS``, ``PROFILE_UPSTREAM``, ...), whose defaults are the compose names.
    """
    lines = [
        f"# Generated from {TABLE_FILE.relative_to(ROOT)} by `make docs`: edit the table, not this.",
        "# The single API origin: every service's /v1/... by path, the web frontend at /.",
        "# flush_interval -1: server-sent events (message and notification streams) flow at once.",
        "{",
        "\t# No admin API, no certificates: TLS belongs to whatever fronts this origin.",
        "\tadmin off",
        "\tauto_https off",
        "}",
        "",
        "http://{$ORIGIN_ADDRESS::8080} {",
    ]
    for service in table.services():
        paths = []
        for rule in table.rules_of(service):
            paths.append(rule.path)
            if not rule.exact:
                paths.append(rule.path.rstrip("/") + "/*")
        upstream = f"{{${_upstream_variable(service)}:{service}:{table.upstreams[service]}}}"
        lines += [
            f"\t@{service} path {' '.join(paths)}",
            f"\thandle @{service} {{",
            f"\t\treverse_proxy {upstream} {{",
            "\t\t\tflush_interval -1",
            "\t\t}",
            "\t}",
        ]
    default = table.default
    lines += [
        "\thandle {",
        f"\t\treverse_proxy {{${_upstream_variable(default)}:{default}:{table.upstreams[default]}}}",
        "\t}",
        "}",
    ]
    return "\n".join(lines) + "\n"


def _ingress_path(rule: Rule, port: int) -> dict[str, Any]:
    return {
        "path": rule.path,
        "pathType": "Exact" if rule.exact else "Prefix",
        "backend": {"service": {"name": rule.service, "port": {"number": port}}},
    }


def ingress_manifest(table: OriginTable) -> dict[str, Any]:
    """The Kubernetes Ingress serving ``table`` under its host, TLS at the controller."""
    paths = [_ingress_path(rule, table.upstreams[rule.service]) for rule in table.rules]
    paths.append(
        _ingress_path(Rule(table.default, "/", exact=False), table.upstreams[table.default])
    )
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "Ingress",
        "metadata": {
            "name": "mentor-match",
            "annotations": {
                "nginx.ingress.kubernetes.io/proxy-body-size": INGRESS_BODY_LIMIT,
                # Server-sent events: unbuffered, and an hour before an idle stream closes.
                "nginx.ingress.kubernetes.io/proxy-buffering": "off",
                "nginx.ingress.kubernetes.io/proxy-read-timeout": "3600",
            },
        },
        "spec": {
            "ingressClassName": "nginx",
            "tls": [{"hosts": [table.host], "secretName": "mentor-match-tls"}],
            "rules": [{"host": table.host, "http": {"paths": paths}}],
        },
    }


def render_ingress(table: OriginTable) -> str:
    """:func:`ingress_manifest` as the YAML file in ``deploy/k8s/base``."""
    header = (
        f"# Generated from {TABLE_FILE.relative_to(ROOT)} by `make docs`: edit the table, "
        "not this.\n"
        "# The single API origin: every service's /v1/... by path, the web frontend at /.\n"
        "# Exact paths are exact; a Prefix path covers itself and every path below it; the\n"
        "# longest match wins, and no service's rule covers another's path (tests/deploy).\n"
        "# TLS: the certificate is the Secret mentor-match-tls (cert-manager or by hand).\n"
    )
    return header + yaml.safe_dump(ingress_manifest(table), sort_keys=False, width=100)


def generated_files(table: OriginTable) -> Iterator[tuple[Path, str]]:
    """Each generated file with its content."""
    yield CADDYFILE, render_caddyfile(table)
    yield INGRESS_FILE, render_ingress(table)


def main(argv: list[str] | None = None) -> None:
    """Write the Caddyfile and the Ingress from the table (``make docs``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--table", type=Path, default=TABLE_FILE)
    arguments = parser.parse_args(argv)
    table = OriginTable.load(arguments.table)
    for path, text in generated_files(table):
        path.write_text(text)
        print(json.dumps({"written": str(path.relative_to(ROOT))}))


if __name__ == "__main__":
    main()
