"""Demo data for `make run` (``DEMO_DATA``): synthetic civil servants and their activity.

The data lives in the JSON files beside these modules (package data, see
ops/pyproject.toml): :mod:`.data` reads and checks them, :mod:`.people` turns them
into demo people the runner hands the profile service in a file, and :mod:`.activity`
makes requests and conversations between them once every service is ready.
"""
