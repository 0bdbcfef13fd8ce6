"""Page routers, one module per area of the service."""
