"""HTTP entrypoint of the messaging service."""
