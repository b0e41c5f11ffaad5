"""Crosstabs with column-comparison significance letters from design-based tests.

Each column gets a letter (A, B, C...). In every row, a cell carries the letters of the columns whose
proportion (or, in the mean row, whose mean) it significantly exceeds. The test of a pair of columns is
the design-based one: the column estimates are domain estimates of the whole design, the difference's
SE uses their covariance (they may share strata and PSUs), and the t statistic is referred to the
design's degrees of freedom; p-values are Bonferroni-adjusted over the column pairs of the row. This is
R's ``svyby(~I(row == level), ~col, design, svymean, covmat=TRUE)`` followed by ``svycontrast`` for each
pair and ``2 * pt(-abs(t), degf(design))``. Upper-case letters mark differences significant at 95%
(``alpha``), lower-case letters those significant at 90% (``weak_alpha``) only.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from cs_toolkit.errors import DesignError
from cs_toolkit.survey.inference import two_sided_p

if TYPE_CHECKING:  # pragma: no cover
    from cs_toolkit.survey.design import SurveyDesign

ADJUSTMENTS = ("bonferroni", "none")


@dataclass
class Crosstab:
    """A crosstab: weighted counts, column percentages, bases and significance letters.

    ``letters`` holds the upper-case letters (significant at ``alpha``, 95% by default) and
    ``weak_letters`` the lower-case ones (significant at ``weak_alpha``, 90%, but not at ``alpha``);
    ``tests`` has every pairwise test (difference, SE, t, df, p, adjusted p). ``nets`` (top-2/bottom-2
    boxes or given groups of levels) and ``means`` (the column means of a numeric row variable) carry
    their own letters in ``net_letters`` / ``mean_letters``.
    """

    counts: pd.DataFrame
    column_pct: pd.DataFrame
    letters: pd.DataFrame
    base: pd.Series
    effective_base: pd.Series
    column_letters: dict[object, str]
    test: str
    weak_letters: pd.DataFrame = field(default_factory=pd.DataFrame)
    tests: pd.DataFrame = field(default_factory=pd.DataFrame)
    total_pct: pd.Series = field(default_factory=pd.Series)
    nets: pd.DataFrame = field(default_factory=pd.DataFrame)  # % per net (rows) and column
    net_letters: pd.DataFrame = field(default_factory=pd.DataFrame)
    means: pd.DataFrame = field(default_factory=pd.DataFrame)  # one row "Mean": estimate per column
    mean_letters: pd.DataFrame = field(default_factory=pd.DataFrame)
    total_base: int = 0

    def table(self, decimals: int = 1) -> pd.DataFrame:
        """The printable table: ``"45.2% B c"`` cells, a base row, and column headers with their letters."""
        cells = _cells(self.column_pct, self.letters, self.weak_letters, decimals, "%")
        cells.loc["Base (n)"] = self.base.astype(int).astype(str)
        cells.columns = [f"{c} ({self.column_letters[c]})" for c in self.column_pct.columns]
        return cells

    def full_table(self, decimals: int = 1) -> pd.DataFrame:
        """The Excel layout: level rows, nets, the mean row, base and effective base; a Total column."""
        parts = [_cells(self.column_pct, self.letters, self.weak_letters, decimals, "%")]
        if len(self.nets):
            parts.append(_cells(self.nets, self.net_letters, pd.DataFrame(), decimals, "%"))
        if len(self.means):
            parts.append(_cells(self.means, self.mean_letters, pd.DataFrame(), decimals + 1, ""))
        cells = pd.concat(parts)
        total = pd.concat([self.total_pct.round(decimals).astype(str) + "%",
                           self.nets.get("Total", pd.Series(dtype=float)).round(decimals).astype(str) + "%",
                           self.means.get("Total", pd.Series(dtype=float)).round(decimals + 1).astype(str)])
        cells = cells.drop(columns=[c for c in cells.columns if c == "Total"])
        cells.columns = [f"{c} ({self.column_letters[c]})" for c in cells.columns]
        cells["Total"] = total.reindex(cells.index).fillna("")
        cells.loc["Base (n)"] = [*self.base.astype(int).astype(str), str(self.total_base)]
        cells.loc["Effective base"] = [*self.effective_base.round(0).astype(int).astype(str),
                                       str(int(round(float(self.effective_base.sum()))))]
        return cells

    def to_excel(self, path: str | Path, sheet: str = "crosstab") -> Path:
        """Write the table to an Excel workbook: the table (letters, nets, means, Total column, bases), the
        values (percentages as numbers, letters in their own columns), the pairwise tests and a note."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
            self.full_table().to_excel(writer, sheet_name=sheet[:31])
            wide = pd.concat({"pct": self.column_pct, "sig": self.letters, "sig90": self.weak_letters}, axis=1)
            wide.to_excel(writer, sheet_name=f"{sheet[:24]}_values")
            if len(self.tests):
                self.tests.to_excel(writer, sheet_name=f"{sheet[:25]}_tests", index=False)
            pd.DataFrame({"note": [self.test]}).to_excel(writer, sheet_name="notes", index=False)
        return path


def _cells(values: pd.DataFrame, letters: pd.DataFrame, weak: pd.DataFrame, decimals: int, unit: str) -> pd.DataFrame:
    out = values.round(decimals).astype(str) + unit
    for extra in (letters, weak):
        if len(extra):
            marks = extra.reindex(index=values.index, columns=values.columns).astype(object)
            out = out + marks.where(marks.notna(), "").map(lambda s: f" {s}" if s else "")
    return out


def crosstab(
    data: pd.DataFrame,
    row: str,
    col: str,
    weights: str | None = None,
    alpha: float = 0.05,
    adjust: str = "bonferroni",
    *,
    design: SurveyDesign | None = None,
    strata: str | None = None,
    psu: str | list[str] | None = None,
    weak_alpha: float = 0.10,
    nets: dict[str, list[object]] | None = None,
) -> Crosstab:
    """Cross-tabulate ``row`` by ``col`` with design-based column-comparison letters.

    Parameters
    ----------
    data : DataFrame
        The responses (ignored when ``design`` is given: its data is used).
    row, col : str
        Row variable (e.g. satisfaction level) and column variable (e.g. project).
    weights, strata, psu : str, optional
        The design, when ``design`` is not given (a simple random sample without them).
    alpha : float, default 0.05
        Level of the upper-case letters (95%).
    adjust : {"bonferroni", "none"}
        Multiple-comparison adjustment over the column pairs of each row.
    design : SurveyDesign, optional
        The survey design; tests then account for its strata, clusters and calibration.
    weak_alpha : float, default 0.10
        Level of the lower-case letters (90%); None for none.
    nets : dict, optional
        Groups of row levels to add as rows, e.g. ``{"Top-2 box": [4, 5]}``; by default the top-2 and
        bottom-2 boxes of a numeric row variable with at least four levels.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sat": ["high"] * 80 + ["low"] * 20 + ["high"] * 40 + ["low"] * 60,
    ...                    "site": ["A"] * 100 + ["B"] * 100})
    >>> ct = crosstab(df, "sat", "site")
    >>> ct.letters.loc["high", "A"], ct.letters.loc["low", "B"]
    ('B', 'A')
    """
    from cs_toolkit.survey.design import SurveyDesign

    if adjust not in ADJUSTMENTS:
        raise ValueError("adjust must be 'bonferroni' or 'none'")
    if design is None:
        design = SurveyDesign(data, weights=weights, strata=strata, psu=psu, lonely_psu="adjust")
    return design.crosstab(row, col, alpha=alpha, adjust=adjust, weak_alpha=weak_alpha, nets=nets)


def column_letters(columns: list[object]) -> dict[object, str]:
    names = string.ascii_uppercase
    return {c: names[i % 26] * (1 + i // 26) for i, c in enumerate(columns)}


def pair_letters(
    estimates: np.ndarray, a: np.ndarray, b: np.ndarray, p_adjusted: np.ndarray, level: float, letters: list[str],
    lower: bool = False, stronger: np.ndarray | None = None,
) -> np.ndarray:
    """For each row of estimates (rows x columns), the letters of the columns each cell significantly exceeds.

    ``p_adjusted`` is rows x pairs; a pair marks the larger column of the two with the smaller one's letter.
    ``stronger`` (rows x pairs, bool) excludes pairs already marked at a stricter level."""
    rows, k = estimates.shape
    out = np.full((rows, k), "", dtype=object)
    hit = p_adjusted < level
    if stronger is not None:
        hit &= ~stronger
    higher = np.where(estimates[:, a] > estimates[:, b], a, b)
    lower_col = np.where(estimates[:, a] > estimates[:, b], b, a)
    r_idx, p_idx = np.nonzero(hit)
    for r, j in zip(r_idx.tolist(), p_idx.tolist(), strict=True):  # significant cells only (a handful)
        letter = letters[lower_col[r, j]]
        out[r, higher[r, j]] += letter.lower() if lower else letter
    return np.vectorize(lambda s: "".join(sorted(s)), otypes=[object])(out) if out.size else out


def pair_tests(names: list[str], kind: list[str], a: np.ndarray, b: np.ndarray, columns: list[object],
               diff: np.ndarray, se: np.ndarray, df: float, factor: int) -> tuple[pd.DataFrame, np.ndarray]:
    """Tests of every pair in every row: (table, adjusted p-values rows x pairs)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        t = diff / se
    p = two_sided_p(t, df)
    p_adj = np.minimum(1.0, p * factor)
    tests = pd.DataFrame({
        "row": np.repeat(names, len(a)),
        "kind": np.repeat(kind, len(a)),
        "column_a": np.tile([columns[i] for i in a], len(names)),
        "column_b": np.tile([columns[i] for i in b], len(names)),
        "difference": diff.ravel(),
        "se": se.ravel(),
        "t": t.ravel(),
        "df": df,
        "p_value": p.ravel(),
        "p_adjusted": p_adj.ravel(),
    })
    return tests, p_adj


def default_nets(levels: list[object]) -> dict[str, list[object]]:
    """Top-2 and bottom-2 boxes of a numeric rating with at least four levels."""
    numeric = [v for v in levels if isinstance(v, int | float | np.integer | np.floating)]
    if len(numeric) != len(levels) or len(levels) < 4:
        return {}
    ordered = sorted(levels)
    return {"Top-2 box": ordered[-2:], "Bottom-2 box": ordered[:2]}


def check_nets(nets: dict[str, list[object]], levels: list[object], row: str) -> None:
    for name, members in nets.items():
        unknown = [m for m in members if m not in set(levels)]
        if unknown:
            raise DesignError(f"net {name!r} names level(s) {unknown} that {row!r} lacks; levels: {levels[:20]}")
