"""How companies handle complaints: response outcomes by company, product, channel or year, with
uncertainty — for studying other companies' service systems (e.g. the CFPB complaint database)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

RELIEF = ("Closed with monetary relief", "Closed with non-monetary relief")


def wilson(successes: np.ndarray, n: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a proportion (better than Wald near 0 and 1 and for small n)."""
    z = stats.norm.ppf(0.5 + level / 2)
    n = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.asarray(successes) / n
        centre = (p + z**2 / (2 * n)) / (1 + z**2 / n)
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / (1 + z**2 / n)
    return centre - half, centre + half


def handling_table(frame: pd.DataFrame, by: str | list[str], *, response: str = "Company response to consumer",
                   timely: str = "Timely response?", min_complaints: int = 40) -> pd.DataFrame:
    """Per group: complaints, share still open, share answered on time, and relief rates with 95% Wilson CIs.

    ``relief_closed`` is the share of *closed* complaints closed with monetary or non-monetary relief;
    ``relief_all`` the share of *all* complaints — compare groups on it when their open shares differ,
    since complaints still open may end either way. Groups with fewer than ``min_complaints`` are left out.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"Company": ["A"] * 4 + ["B"] * 4,
    ...                    "Company response to consumer": ["Closed with monetary relief", "Closed with explanation",
    ...                        "In progress", "Closed with explanation"] + ["Closed with explanation"] * 4,
    ...                    "Timely response?": ["Yes"] * 8})
    >>> handling_table(df, "Company", min_complaints=1)["relief_closed"].round(3).to_list()
    [0.0, 0.333]
    """
    keys = [by] if isinstance(by, str) else list(by)
    r = frame[response].astype("string")
    work = frame[keys].copy()
    work["open"] = r.eq("In progress").fillna(False).to_numpy()
    work["closed"] = r.str.startswith("Closed").fillna(False).to_numpy()
    work["relief"] = r.isin(RELIEF).fillna(False).to_numpy()
    work["timely"] = frame[timely].astype("string").eq("Yes").fillna(False).to_numpy() if timely in frame else np.nan
    g = work.groupby(keys, observed=True)
    out = pd.DataFrame({
        "complaints": g.size(),
        "open_share": g["open"].mean(),
        "timely_share": g["timely"].mean(),
        "closed": g["closed"].sum(),
        "relief": g["relief"].sum(),
    })
    out = out[out["complaints"] >= min_complaints].copy()
    out["relief_closed"] = out["relief"] / out["closed"]
    out["relief_closed_low"], out["relief_closed_high"] = wilson(out["relief"], out["closed"])
    out["relief_all"] = out["relief"] / out["complaints"]
    out["relief_all_low"], out["relief_all_high"] = wilson(out["relief"], out["complaints"])
    return out.sort_values("relief_all").reset_index()
