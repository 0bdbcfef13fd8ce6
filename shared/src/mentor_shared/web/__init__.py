"""HTTP mechanism every service shares: app factory, errors, middleware, health."""

from mentor_shared.web.limits import client_ip

__all__ = ["client_ip"]
