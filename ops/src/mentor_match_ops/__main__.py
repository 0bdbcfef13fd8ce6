"""``python -m mentor_match_ops`` is the ``mentor-match`` command."""

from mentor_match_ops.cli import app

app()
