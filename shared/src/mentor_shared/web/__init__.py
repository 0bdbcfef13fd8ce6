"""HTTP mechanism every service shares: app factory, errors, middleware, health."""
