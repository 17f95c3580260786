"""What extracting a function gains, measured: its package, its IAM grants and its cold import against the
monolith's.

The wizard shows one `Gain` per function it offers (`planning.gains` measures them from the analysis:
file sizes on disk, installed distributions' RECORDs, the IAM catalogue, a fresh interpreter's
`-X importtime`). A figure that could not be measured is None, and `unmeasured` says why, so a view
never shows a guess as a measurement.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Footprint:
    """One deployment unit's figures: the monolith's whole package, or one new function's share of it.

    `code_bytes`/`code_files` are the first-party files (the whole CodeUri for the monolith, the reached
    modules and their packages for a function); `distributions` the third-party distributions it installs
    (with their dependencies), `distribution_bytes` their installed size, None when one of them is not
    installed where decompose runs. `actions` counts distinct IAM actions granted (wildcards expanded by
    AWS's catalogue), `star_actions` those granted on `*`. `import_ms` is the CPU time a fresh interpreter
    spends importing its third-party distributions (first-party code is never run), None when not measured.
    """

    code_files: int
    code_bytes: int
    distributions: tuple[str, ...]
    distribution_bytes: int | None
    actions: int | None
    star_actions: int | None
    import_ms: float | None

    @property
    def package_bytes(self) -> int | None:
        return None if self.distribution_bytes is None else self.code_bytes + self.distribution_bytes


@dataclass(frozen=True)
class Gain:
    """A function of the plan (its routes) measured against the monolith it leaves."""

    logical_id: str
    routes: tuple[str, ...]
    own: Footprint
    monolith: Footprint
    dropped: tuple[str, ...] = ()  # distributions the monolith installs and this function does not
    unmeasured: tuple[str, ...] = ()  # why a figure is None ("fpdf2 is not installed here")
    complete: bool = True  # False: a route's policy may be incomplete (a gap), so `actions` may be low

    @property
    def package_ratio(self) -> float | None:
        """The function's package as a fraction of the monolith's (0.1: a tenth of the bytes)."""
        own, whole = self.own.package_bytes, self.monolith.package_bytes
        return None if own is None or not whole else own / whole

    @property
    def import_saved_ms(self) -> float | None:
        own, whole = self.own.import_ms, self.monolith.import_ms
        return None if own is None or whole is None else whole - own
