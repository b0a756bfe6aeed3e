"""Reading scripts from disk: checksums of the LF-normalised bytes, names, headers."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from notifydb.migrations.scripts import ScriptLayoutError, discover_repeatable, discover_versioned, normalise

LF_SCRIPT = b"SET LOCAL ROLE notifydb_owner;\n-- caf\xc3\xa9\nSELECT 1;\n"


def write(root: Path, relative: str, content: bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def test_normalise_turns_crlf_and_cr_into_lf() -> None:
    assert normalise(b"a\r\nb\rc\nd") == b"a\nb\nc\nd"


@pytest.mark.parametrize("newline", [b"\r\n", b"\r"], ids=["crlf", "cr"])
def test_a_crlf_file_has_the_checksum_of_its_lf_bytes(tmp_path: Path, newline: bytes) -> None:
    write(tmp_path / "lf", "schema/V0001__x.sql", LF_SCRIPT)
    write(tmp_path / "other", "schema/V0001__x.sql", LF_SCRIPT.replace(b"\n", newline))
    (lf,) = discover_versioned(tmp_path / "lf")
    (other,) = discover_versioned(tmp_path / "other")
    assert lf.checksum == other.checksum == hashlib.sha256(LF_SCRIPT).hexdigest()
    assert other.sql == LF_SCRIPT.decode("utf-8")


def test_a_changed_byte_changes_the_checksum(tmp_path: Path) -> None:
    write(tmp_path / "a", "functions/f.sql", LF_SCRIPT)
    write(tmp_path / "b", "functions/f.sql", LF_SCRIPT.replace(b"1", b"2"))
    assert discover_repeatable(tmp_path / "a")[0].checksum != discover_repeatable(tmp_path / "b")[0].checksum


def test_the_no_transaction_header_is_read_from_the_leading_comments_only(tmp_path: Path) -> None:
    write(tmp_path, "schema/V0001__header.sql", b"-- What it does.\n-- notifydb:no-transaction\nSELECT 1;\n")
    write(tmp_path, "schema/V0002__later.sql", b"SELECT 1;\n-- notifydb:no-transaction\n")
    header, later = discover_versioned(tmp_path)
    assert (header.transactional, later.transactional) == (False, True)


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"schema/V1_missing_underscore.sql": LF_SCRIPT}, "versioned scripts are named V<number>__<description>.sql"),
        ({"schema/V1__a.sql": LF_SCRIPT, "schema/V0001__b.sql": LF_SCRIPT}, "have the same version 1"),
        ({"schema/V0001__latin1.sql": b"-- caf\xe9\n"}, "schema/V0001__latin1.sql: not UTF-8"),
    ],
    ids=["bad-name", "duplicate-version", "not-utf8"],
)
def test_a_script_the_runner_cannot_place_is_refused(tmp_path: Path, files: dict[str, bytes], message: str) -> None:
    for relative, content in files.items():
        write(tmp_path, relative, content)
    with pytest.raises(ScriptLayoutError, match=re.escape(message)):
        discover_versioned(tmp_path)


def test_repeatable_scripts_come_by_folder_then_name(tmp_path: Path) -> None:
    for relative in ("triggers/a.sql", "retention/b.sql", "functions/c.sql", "retention/a.sql", "retention/cron/x.sql"):
        write(tmp_path, relative, LF_SCRIPT)
    names = [script.name for script in discover_repeatable(tmp_path)]
    assert names == ["functions/c.sql", "retention/a.sql", "retention/b.sql", "triggers/a.sql"]


def test_a_repeatable_script_may_not_be_non_transactional(tmp_path: Path) -> None:
    write(tmp_path, "functions/f.sql", b"-- notifydb:no-transaction\nSELECT 1;\n")
    message = "functions/f.sql: -- notifydb:no-transaction is for versioned scripts only"
    with pytest.raises(ScriptLayoutError, match=re.escape(message)):
        discover_repeatable(tmp_path)
