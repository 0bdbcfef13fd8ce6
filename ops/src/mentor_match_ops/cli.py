"""The ``mentor-match`` command for operators."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from mentor_match_ops import runner
from mentor_match_ops.mail_sink import read_mail

app = typer.Typer(help="Run and operate Mentor Match.", no_args_is_help=True)
console = Console()


@app.command()
def run() -> None:
    """Run the whole system here: embedded broker, mail sink and every service."""
    raise typer.Exit(runner.run())


@app.command()
def mail(
    data_dir: Path = typer.Option(Path(".data"), envvar="DATA_DIR"),  # noqa: B008 - typer's idiom
    last: int = typer.Option(20, help="How many of the newest emails to list"),
) -> None:
    """List the emails the local mail sink received (newest last)."""
    table = Table("file", "to", "subject")
    for path, message in read_mail(data_dir / "mail")[-last:]:
        table.add_row(path.name, str(message["To"]), str(message["Subject"]))
    console.print(table)
