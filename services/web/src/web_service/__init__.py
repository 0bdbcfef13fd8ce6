"""Mentor Match web frontend: GOV.UK-style pages over the services' public HTTP APIs."""
