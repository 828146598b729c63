"""The example archive's entries: what `archive_server` serves over MCP, and what lessons search
in-process (importing the server itself would set up its logging)."""

from __future__ import annotations

ARCHIVE = [
    {
        "id": 1,
        "date": "2024-03-02",
        "text": "City council approves the 14-acre riverside park, 7 votes to 2.",
    },
    {"id": 2, "date": "2024-03-09", "text": "Planning report: the riverside park will cost 3.9 million."},
    {"id": 3, "date": "2024-05-20", "text": "Construction of the riverside park starts in June."},
    {"id": 4, "date": "2023-11-14", "text": "Library opening hours extended to 9 pm on weekdays."},
]
