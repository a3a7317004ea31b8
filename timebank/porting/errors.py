"""Why a file cannot be read at all: the import stops before looking at any row."""

from __future__ import annotations

from timebank.errors import InvalidInput


class FileRefused(InvalidInput):
    """A whole file cannot be imported (too big, not text, not a layout we know)."""

    code = "import_file_refused"


class ImportHasProblems(InvalidInput):
    """Some rows have problems, so nothing was written."""

    code = "import_has_problems"

    def __init__(self, problems: list[str]) -> None:
        count = len(problems)
        super().__init__(
            f"Nothing was imported: {count} problem{'s' if count != 1 else ''} to put right first."
        )
        self.problems = problems
