"""Crosstabs with column-comparison significance letters, as market-research tables show them.

Each column gets a letter (A, B, C...). In every row, a cell carries the letters of the columns whose
proportion it significantly exceeds (two-proportion z-test on effective bases, Bonferroni-adjusted
over the pairs of the row — SPSS Custom Tables' "compare column proportions").
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats


@dataclass
class Crosstab:
    """A crosstab: weighted counts, column percentages, bases and significance letters."""

    counts: pd.DataFrame
    column_pct: pd.DataFrame
    letters: pd.DataFrame
    base: pd.Series
    effective_base: pd.Series
    column_letters: dict[object, str]
    test: str

    def table(self, decimals: int = 1) -> pd.DataFrame:
        """The printable table: ``"45.2% B"`` cells, a base row, and column headers with their letters."""
        cells = self.column_pct.round(decimals).astype(str) + "%"
        cells = cells + self.letters.map(lambda s: f" {s}" if s else "")
        cells.loc["Base (n)"] = self.base.astype(int).astype(str)
        cells.columns = [f"{c} ({self.column_letters[c]})" for c in self.column_pct.columns]
        return cells

    def to_excel(self, path: str | Path, sheet: str = "crosstab") -> Path:
        """Write the table to an Excel workbook (percentages as numbers, letters in their own columns)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
            self.table().to_excel(writer, sheet_name=sheet[:31])
            wide = pd.concat({"pct": self.column_pct, "sig": self.letters}, axis=1)
            wide.to_excel(writer, sheet_name=f"{sheet[:24]}_values")
            pd.DataFrame({"note": [self.test]}).to_excel(writer, sheet_name="notes", index=False)
        return path


def crosstab(
    data: pd.DataFrame,
    row: str,
    col: str,
    weights: str | None = None,
    alpha: float = 0.05,
    adjust: str = "bonferroni",
) -> Crosstab:
    """Cross-tabulate ``row`` by ``col`` with column-comparison letters.

    Parameters
    ----------
    data : DataFrame
    row, col : str
        Row variable (e.g. satisfaction level) and column variable (e.g. project).
    weights : str, optional
        Weight column; tests then use each column's Kish effective base.
    alpha : float, default 0.05
    adjust : {"bonferroni", "none"}
        Multiple-comparison adjustment over the column pairs of each row.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"sat": ["high"] * 80 + ["low"] * 20 + ["high"] * 40 + ["low"] * 60,
    ...                    "site": ["A"] * 100 + ["B"] * 100})
    >>> ct = crosstab(df, "sat", "site")
    >>> ct.letters.loc["high", "A"], ct.letters.loc["low", "B"]
    ('B', 'A')
    """
    frame = data[[row, col]].copy()
    frame["_w"] = 1.0 if weights is None else data[weights].astype(float)
    frame = frame.dropna(subset=[row, col])
    counts = frame.pivot_table(index=row, columns=col, values="_w", aggfunc="sum", fill_value=0.0, observed=True)
    col_totals = counts.sum(axis=0)
    pct = counts / col_totals * 100
    base = frame.groupby(col, observed=True).size().reindex(counts.columns)
    sw = frame.groupby(col, observed=True)["_w"].sum().reindex(counts.columns)
    sw2 = (frame["_w"] ** 2).groupby(frame[col], observed=True).sum().reindex(counts.columns)
    eff = sw**2 / sw2
    columns = list(counts.columns)
    names = string.ascii_uppercase
    letter_of = {c: names[i % 26] * (1 + i // 26) for i, c in enumerate(columns)}
    letters = pd.DataFrame("", index=counts.index, columns=counts.columns)
    pairs = list(combinations(range(len(columns)), 2))
    factor = len(pairs) if adjust == "bonferroni" else 1
    if adjust not in ("bonferroni", "none"):
        raise ValueError("adjust must be 'bonferroni' or 'none'")
    if pairs:
        p = (pct / 100).to_numpy()  # rows x columns
        n = eff.to_numpy()
        i_idx = np.array([a for a, _ in pairs])
        j_idx = np.array([b for _, b in pairs])
        p_i, p_j = p[:, i_idx], p[:, j_idx]
        n_i, n_j = n[i_idx], n[j_idx]
        pooled = (p_i * n_i + p_j * n_j) / (n_i + n_j)
        with np.errstate(invalid="ignore", divide="ignore"):
            z = (p_i - p_j) / np.sqrt(pooled * (1 - pooled) * (1 / n_i + 1 / n_j))
        pvalue = np.minimum(1.0, 2 * stats.norm.sf(np.abs(z)) * factor)
        significant = pvalue < alpha
        for r in range(p.shape[0]):
            cell_letters: dict[int, list[str]] = {}
            for k, (a, b) in enumerate(pairs):
                if significant[r, k]:
                    hi, lo = (a, b) if p_i[r, k] > p_j[r, k] else (b, a)
                    cell_letters.setdefault(hi, []).append(letter_of[columns[lo]])
            for c_idx, ls in cell_letters.items():
                letters.iat[r, c_idx] = "".join(sorted(ls))
    test = (
        f"two-proportion z-test on {'Kish effective' if weights else 'unweighted'} column bases, "
        f"alpha={alpha}, {'Bonferroni-adjusted over ' + str(len(pairs)) + ' pairs per row' if factor > 1 else 'unadjusted'}; "
        "a letter marks a proportion significantly larger than that column's"
    )
    return Crosstab(counts, pct, letters, base, eff, letter_of, test)
