"""Numbers as the report's views print them: bytes, milliseconds, shares, counted nouns."""

from __future__ import annotations

_UNITS = (("GB", 1e9), ("MB", 1e6), ("kB", 1e3))


def human_bytes(value: int | None) -> str:
    """`69.3 MB`, `33.2 kB`, `512 B` (decimal units, as package limits are stated); `?` when unknown."""
    if value is None:
        return "?"
    for unit, size in _UNITS:
        if value >= size:
            return f"{value / size:.1f} {unit}"
    return f"{value} B"


def milliseconds(value: float | None) -> str:
    """`637 ms`, `4.2 ms`; `—` when not measured."""
    if value is None:
        return "—"
    return f"{value:.0f} ms" if value >= 10 else f"{value:.1f} ms"


def share(part: float | None, whole: float | None) -> str:
    """`34%` of the whole; empty when either is unknown or the whole is zero."""
    if part is None or not whole:
        return ""
    return f"{part / whole:.0%}"


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """`1 route`, `3 routes`, `1,024 files`."""
    word = noun if count == 1 else (plural or noun + "s")
    return f"{count:,} {word}"
