"""The dataset's analysis settings: ``runeco.toml`` in the dataset folder.

One file, so that ``analyze``, ``check`` and ``report`` on the same dataset
always use the same options (a coach who needs a 20-week baseline sets it once
instead of repeating ``--baseline-weeks 20`` and getting different answers
when once forgotten). A command-line flag overrides the file for one run.

::

    # runeco.toml
    [analysis]
    baseline_weeks = 12        # weeks of baseline before the block (default 6)
    swc_pct = 2.0              # smallest worthwhile change [%] (default 2.5)
    lab_day_cv_pct = 2.5       # day-to-day CV of lab economy [%] (default 2.0)
    control_reference = true   # headline relative to the squad's controls (default true)

Unknown sections or keys and values out of range are errors naming the file,
the key and what is allowed (a typo must not silently fall back to a
default). The file is optional; without it every option has its default.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path

from analysis.errors import DataError
from analysis.schema import BASELINE_WEEKS

SETTINGS_FILE = "runeco.toml"
MAX_SETTINGS_BYTES = 64 * 1024


@dataclass(frozen=True)
class Settings:
    """Analysis options from ``runeco.toml``; None: not set (the default applies)."""

    baseline_weeks: int | None = None
    swc_pct: float | None = None
    lab_day_cv_pct: float | None = None
    control_reference: bool | None = None
    source: str = ""

    def options(self) -> dict:
        """The options that are set, as keyword arguments of ``analyze``."""
        return {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name != "source" and getattr(self, f.name) is not None
        }

    def resolve(self, **overrides) -> dict:
        """``analyze``'s options: ``overrides`` that are not None (command-line
        flags, notebook parameters), else these settings, and ``baseline_weeks``
        always (its default when neither sets it)."""
        options = self.options()
        options.update({k: v for k, v in overrides.items() if v is not None})
        options.setdefault("baseline_weeks", BASELINE_WEEKS)
        return options

    def describe(self) -> str:
        """ "baseline_weeks = 12, swc_pct = 2.0 (runeco.toml)", or "" when nothing is set."""
        items = ", ".join(f"{k} = {v}" for k, v in self.options().items())
        return f"{items} ({self.source})" if items else ""


def _number(key: str, value, low: float, high: float, *, integer: bool = False):
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if ok and integer:
        ok = isinstance(value, int)
    if ok and math.isfinite(value) and low <= value <= high:
        return value
    kind = "a whole number" if integer else "a number"
    raise ValueError(f"[analysis] {key} must be {kind} from {low:g} to {high:g}, got {value!r}")


def _boolean(key: str, value) -> bool:
    if isinstance(value, bool):
        return value
    raise ValueError(f"[analysis] {key} must be true or false, got {value!r}")


_CHECKS = {
    "baseline_weeks": lambda v: _number("baseline_weeks", v, 1, 520, integer=True),
    "swc_pct": lambda v: _number("swc_pct", v, 0.1, 50),
    "lab_day_cv_pct": lambda v: _number("lab_day_cv_pct", v, 0, 20),
    "control_reference": lambda v: _boolean("control_reference", v),
}


def load_settings(folder: str | Path) -> Settings:
    """Read and check ``runeco.toml`` in ``folder`` (absent: no settings).

    Raises
    ------
    DataError
        Not a regular file, larger than 64 KB, not UTF-8, not valid TOML (with
        the line and column), an unknown section or key, or a value out of range.
    """
    path = Path(folder) / SETTINGS_FILE
    if not path.exists() and not path.is_symlink():
        return Settings()
    if not path.is_file():
        raise DataError("not a regular file", file=str(path))
    try:
        if path.stat().st_size > MAX_SETTINGS_BYTES:
            raise DataError(
                f"larger than {MAX_SETTINGS_BYTES // 1024} KB: not a settings file", file=str(path)
            )
        text = path.read_bytes().decode("utf-8")
        data = tomllib.loads(text)
    except UnicodeDecodeError:
        raise DataError("not UTF-8 text", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise DataError(f"not valid TOML: {exc}", file=str(path)) from None
    except OSError as exc:
        raise DataError(f"cannot read the file ({exc.strerror or exc})", file=str(path)) from exc
    unknown = sorted(set(data) - {"analysis"})
    if unknown:
        raise DataError(
            f"unknown section(s) {', '.join(map(repr, unknown))}; the only one is [analysis]",
            file=str(path),
        )
    section = data.get("analysis", {})
    if not isinstance(section, dict):
        raise DataError("[analysis] must be a table of settings", file=str(path))
    values = {}
    for key, value in section.items():
        if key not in _CHECKS:
            raise DataError(
                f"unknown setting {key!r} in [analysis]; known: {', '.join(_CHECKS)}",
                file=str(path),
                column=str(key)[:80],
            )
        try:
            values[key] = _CHECKS[key](value)
        except ValueError as exc:
            raise DataError(str(exc)[:300], file=str(path), column=key) from None
    return Settings(**values, source=SETTINGS_FILE)
