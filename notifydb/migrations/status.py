"""Comparing the scripts on disk with the history: what is applied, pending, modified, failed or removed."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

from notifydb.migrations.history import HistoryRow, latest
from notifydb.migrations.scripts import Script

# missing: an applied versioned script deleted from disk (drift; migrate refuses).
# removed: an applied repeatable script deleted from disk; migrate drops what it defined.
State = Literal["applied", "pending", "modified", "failed", "missing", "removed"]

# Exit codes of `status`, from best to worst; the worst state present wins.
EXIT_CODES: dict[State, int] = {"applied": 0, "pending": 3, "removed": 3, "modified": 4, "missing": 4, "failed": 5}


@dataclass(frozen=True)
class ScriptState:
    script: str
    kind: str
    version: str | None
    state: State
    checksum: str | None  # on disk; None for a script that is missing from disk
    applied_checksum: str | None
    transactional: bool | None


@dataclass(frozen=True)
class StatusReport:
    scripts: list[ScriptState]
    database: str = ""  # which database was compared: host:port/dbname as user

    def with_state(self, *states: State) -> list[ScriptState]:
        return [s for s in self.scripts if s.state in states]

    @property
    def exit_code(self) -> int:
        return max((EXIT_CODES[s.state] for s in self.scripts), default=0)

    @property
    def up_to_date(self) -> bool:
        return self.exit_code == 0

    def as_dict(self) -> dict:
        counts: dict[str, int] = {}
        for s in self.scripts:
            counts[s.state] = counts.get(s.state, 0) + 1
        return {
            "database": self.database,
            "up_to_date": self.up_to_date,
            "counts": counts,
            "scripts": [asdict(s) for s in self.scripts],
        }


def _versioned_state(script: Script, row: HistoryRow | None) -> State:
    if row is None:
        return "pending"
    if not row.success:
        return "failed"
    if row.checksum != script.checksum:
        return "modified"
    return "applied"


def _repeatable_state(script: Script, row: HistoryRow | None) -> State:
    if row is not None and row.success and row.checksum == script.checksum:
        return "applied"
    return "pending"


def compare(scripts: list[Script], history: list[HistoryRow]) -> StatusReport:
    # A script whose removal was recorded is as good as never applied.
    applied = {name: row for name, row in latest(history).items() if not row.removed}
    states = []
    for script in scripts:
        row = applied.pop(script.name, None)
        state = _versioned_state(script, row) if script.kind == "versioned" else _repeatable_state(script, row)
        states.append(
            ScriptState(
                script=script.name,
                kind=script.kind,
                version=script.version,
                state=state,
                checksum=script.checksum,
                applied_checksum=row.checksum if row else None,
                transactional=script.transactional,
            )
        )
    # Applied scripts that vanished from disk, in order of application.
    for row in applied.values():
        states.append(
            ScriptState(
                script=row.script,
                kind=row.kind,
                version=row.version,
                state="missing" if row.kind == "versioned" else "removed",
                checksum=None,
                applied_checksum=row.checksum,
                transactional=None,
            )
        )
    return StatusReport(states)
