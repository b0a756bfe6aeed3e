"""Finding migration scripts on disk and reading their headers and checksums."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

VERSIONED_DIR = "schema"
# In the order they are applied (each folder's files by name).
REPEATABLE_DIRS = ("functions", "retention", "triggers")
# Repeatable too, applied last, and only to a Citus coordinator (the citus
# extension is in the database): they distribute what the others created.
CITUS_DIR = "citus"
NO_TRANSACTION_HEADER = "-- notifydb:no-transaction"

_VERSIONED_NAME = re.compile(r"^V(?P<version>\d+)__(?P<description>\w+)\.sql$")

Kind = Literal["versioned", "repeatable"]


@dataclass(frozen=True)
class Script:
    """One SQL file the runner applies."""

    kind: Kind
    name: str  # path relative to the project root, with forward slashes
    version: str | None  # versioned scripts only, e.g. "0003"
    sql: str  # the text with LF line endings
    checksum: str  # SHA-256 of ``sql``
    transactional: bool

    @property
    def sort_key(self) -> tuple[int, str]:
        return (int(self.version) if self.version else 0, self.name)


def default_root() -> Path:
    """The folder that holds schema/ and the repeatable folders.

    A wheel carries them inside the package, under notifydb/sql/ (looked at
    first, so an installed package never picks up folders beside it); a source
    checkout (or an editable install) has them beside the package.
    """
    package_dir = Path(__file__).resolve().parent.parent
    for candidate in (package_dir / "sql", package_dir.parent):
        if (candidate / VERSIONED_DIR).is_dir():
            return candidate
    return package_dir.parent


class ScriptLayoutError(ValueError):
    """The scripts folder is missing or holds a file the runner cannot place (bad name, duplicate version)."""


def normalise(raw: bytes) -> bytes:
    """LF line endings, so a checkout with CRLF (or CR) has the same checksum."""
    return raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def checksum(sql: str) -> str:
    """SHA-256 of the normalised file: ``sql`` is its UTF-8 text."""
    return hashlib.sha256(sql.encode("utf-8")).hexdigest()


def _is_no_transaction(sql: str) -> bool:
    for line in sql.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("--"):
            return False
        if stripped == NO_TRANSACTION_HEADER:
            return True
    return False


def _load(root: Path, path: Path, kind: Kind, version: str | None) -> Script:
    name = path.relative_to(root).as_posix()
    # Bytes, not read_text(): the checksum must not depend on the platform's newline translation.
    try:
        sql = normalise(path.read_bytes()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScriptLayoutError(f"{name}: not UTF-8 ({exc.reason} at byte {exc.start})") from exc
    return Script(
        kind=kind,
        name=name,
        version=version,
        sql=sql,
        checksum=checksum(sql),
        transactional=not _is_no_transaction(sql),
    )


def discover_versioned(root: Path) -> list[Script]:
    scripts = []
    for path in sorted((root / VERSIONED_DIR).glob("*.sql")):
        match = _VERSIONED_NAME.match(path.name)
        if match is None:
            raise ScriptLayoutError(
                f"{path.relative_to(root)}: versioned scripts are named V<number>__<description>.sql"
            )
        scripts.append(_load(root, path, "versioned", match["version"]))
    scripts.sort(key=lambda s: s.sort_key)
    _refuse_duplicate_versions(scripts)
    return scripts


def _refuse_duplicate_versions(scripts: list[Script]) -> None:
    seen: dict[int, str] = {}
    for script in scripts:
        number = int(script.version or 0)
        if number in seen:
            raise ScriptLayoutError(f"{script.name} and {seen[number]} have the same version {number}")
        seen[number] = script.name


def discover_repeatable(root: Path, citus: bool = False) -> list[Script]:
    """Repeatable scripts in the order they are applied: by folder, then name.

    Top level of each folder only (retention/cron/ is not applied); a folder
    that does not exist holds none. ``citus`` adds the citus/ folder.
    """
    folders = (*REPEATABLE_DIRS, CITUS_DIR) if citus else REPEATABLE_DIRS
    paths = [p for folder in folders for p in sorted((root / folder).glob("*.sql"))]
    scripts = [_load(root, path, "repeatable", None) for path in paths]
    for script in scripts:
        if not script.transactional:
            # What a repeatable script replaces is dropped in the run's
            # transaction, so the script must run in it too.
            raise ScriptLayoutError(f"{script.name}: {NO_TRANSACTION_HEADER} is for versioned scripts only")
    return scripts


def discover_scripts(root: Path, citus: bool = False) -> list[Script]:
    """Every script under ``root`` (with citus/ for a Citus coordinator), versioned first;
    refuses a folder that is not a scripts folder."""
    if not root.is_dir():
        raise ScriptLayoutError(f"scripts directory {root} does not exist")
    if not (root / VERSIONED_DIR).is_dir():
        raise ScriptLayoutError(f"scripts directory {root} has no {VERSIONED_DIR}/ folder")
    return discover_versioned(root) + discover_repeatable(root, citus)
