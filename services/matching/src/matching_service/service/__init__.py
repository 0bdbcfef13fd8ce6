"""Application layer of the matching service: ports and the code that drives the domain."""
