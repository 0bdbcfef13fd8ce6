"""Use cases of the messaging service: handlers and ports."""
