"""A file's size is written as the reader's language writes numbers: a decimal comma in Dutch,
a point in English (Jinja's own filesizeformat wrote "16.4 kB" on a Dutch page)."""

from __future__ import annotations

import pytest

from mijn.http.common import _format_filesize


@pytest.mark.parametrize(("size", "nl", "en"), [
    (0, "0 B", "0 B"),
    (999, "999 B", "999 B"),
    (16_400, "16,4 kB", "16.4 kB"),
    (1_234_567, "1,2 MB", "1.2 MB"),
    (200_000_000, "200,0 MB", "200.0 MB"),
    (5 * 10**12, "5.000,0 GB", "5,000.0 GB"),
])
def test_sizes_in_each_language(size: int, nl: str, en: str) -> None:
    assert (_format_filesize(size, "nl"), _format_filesize(size, "en")) == (nl, en)
