"""Routers of the messaging service."""
