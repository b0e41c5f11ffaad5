"""Charts of the satisfaction models, with Chinese labels drawn correctly (Noto Sans CJK SC is
registered first, :func:`cs_toolkit.fonts.use_cjk_font`).

Each function returns a :class:`matplotlib.figure.Figure` made without pyplot, so nothing is shown
twice in a notebook and no global figure is left open. The figure carries its own PNG
representation, so a notebook shows it when it is the cell's last value (or with ``display(fig)``)
whether or not pyplot's inline backend is active, and an HTML export embeds it; ``fig.savefig(path)``
writes it to a file.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cs_toolkit.errors import ConfigError
from cs_toolkit.satisfaction._common import QUADRANTS

# region colours: act first (red), keep up (green), low priority (grey), possible overkill (blue)
_REGION_COLOURS = {"优先改进区": "#fde0dd", "优势区": "#e5f5e0", "次要改进区": "#f0f0f0", "维持区": "#deebf7"}
_POINT_COLOURS = {"优先改进区": "#cb181d", "优势区": "#238b45", "次要改进区": "#737373", "维持区": "#2171b5"}


class ChartFigure(Figure):
    """A matplotlib figure that renders itself as PNG for notebooks (IPython's ``_repr_png_``)."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()


def _figure(figsize):
    from cs_toolkit.fonts import use_cjk_font

    use_cjk_font()
    fig = ChartFigure(figsize=figsize, layout="constrained")
    return fig, fig.add_subplot()


def _set_limits(ax, xs, ys) -> None:
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0
    ax.set_xlim(min(xs) - 0.12 * span_x, max(xs) + 0.25 * span_x)
    ax.set_ylim(min(ys) - 0.12 * span_y, max(ys) + 0.15 * span_y)


def _place_labels(ax, xs, ys, labels, colours) -> None:
    """Label each point, moving a label up (with a leader line) until it overlaps no label placed before.

    Sizes are estimated in axes fractions (a CJK character is about 1.8% of an 8-inch-wide axis).
    """
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    placed: list[tuple[float, float, float, float]] = []
    height = 0.045
    for i in np.argsort(ys):
        fx, fy = (xs[i] - x0) / (x1 - x0) + 0.008, (ys[i] - y0) / (y1 - y0) + 0.008
        text = str(labels[i])
        width = sum(0.018 if ord(ch) > 0x2E80 else 0.010 for ch in text)
        ty = fy
        while any(fx < px + pw and px < fx + width and ty < py + ph and py < ty + height for px, py, pw, ph in placed):
            ty += height * 0.6
        placed.append((fx, ty, width, height))
        moved = ty - fy > height * 0.3
        ax.annotate(text, (xs[i], ys[i]), xytext=(fx, ty), textcoords="axes fraction", fontsize=9, color=colours[i],
                    arrowprops={"arrowstyle": "-", "color": colours[i], "lw": 0.6} if moved else None)


def quadrant_chart(table: pd.DataFrame, x: str | None = None, y: str | None = None, label: str | None = None,
                   lines: tuple[float, float] | None = None, title: str | None = None,
                   x_label: str | None = None, y_label: str | None = None, figsize=(8, 6)):
    """The importance-performance quadrant chart (四分图) of :func:`key_drivers` or :meth:`PLSPathModel.ipma`.

    Importance runs along x, performance up y; the two lines split the plane into the four named
    regions: 优势区 keep up (top right), 优先改进区 act first (bottom right), 次要改进区 low priority
    (bottom left), 维持区 possible overkill (top left). Points are coloured by region and labelled.

    Parameters
    ----------
    table : pandas.DataFrame
        One segment's rows (filter a ``by`` result first).
    x, y, label : str, optional
        Columns; defaults fit the table: ``share`` / ``performance_100`` / ``driver`` for key drivers,
        ``importance`` / ``performance`` / ``construct`` for an IPMA.
    lines : (x line, y line), optional
        Default: the lines the table was classified with (``share_line``, ``performance_line``), or
        the means.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"driver": ["人员态度", "维修速度", "维修质量"], "share": [0.5, 0.2, 0.3],
    ...                   "performance_100": [80, 60, 70]})
    >>> fig = quadrant_chart(t)
    >>> labels = [tx.get_text() for tx in fig.axes[0].texts]
    >>> sorted(labels[:3]), len(labels)  # three points, four named regions
    (['人员态度', '维修质量', '维修速度'], 7)
    """
    if table.empty:
        raise ConfigError("the table is empty: nothing to draw")
    x = x or ("share" if "share" in table else "importance")
    y = y or ("performance_100" if "performance_100" in table else "performance")
    label = label or ("driver" if "driver" in table else "construct" if "construct" in table else table.columns[0])
    for col in (x, y, label):
        if col not in table.columns:
            raise ConfigError(f"column {col!r} not in the table {list(table.columns)}", column=col)
    if table[label].duplicated().any():
        raise ConfigError(f"labels in {label!r} repeat: the table holds several segments; draw one segment at a time",
                          column=label)
    xs = table[x].to_numpy(dtype=float)
    ys = table[y].to_numpy(dtype=float)
    if lines is None:
        x_line = float(table["share_line"].iloc[0]) if x == "share" and "share_line" in table else float(xs.mean())
        y_line = float(table["performance_line"].iloc[0]) if y == "performance_100" and "performance_line" in table \
            else float(ys.mean())
    else:
        x_line, y_line = map(float, lines)
    fig, ax = _figure(figsize)
    regions = [QUADRANTS[(bool(a >= x_line), bool(b >= y_line))][0] for a, b in zip(xs, ys, strict=True)]
    colours = [_POINT_COLOURS[r] for r in regions]
    ax.scatter(xs, ys, c=colours, s=60, zorder=3)
    _set_limits(ax, list(xs) + [x_line], list(ys) + [y_line])
    _place_labels(ax, xs, ys, list(table[label]), colours)
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    for (high_x, high_y), (zh, en) in QUADRANTS.items():
        left, right = (x_line, x1) if high_x else (x0, x_line)
        bottom, top = (y_line, y1) if high_y else (y0, y_line)
        ax.axvspan(left, right, ymin=(bottom - y0) / (y1 - y0), ymax=(top - y0) / (y1 - y0),
                   color=_REGION_COLOURS[zh], zorder=0)
        ax.text(right - 0.01 * (x1 - x0) if high_x else left + 0.01 * (x1 - x0),
                top - 0.02 * (y1 - y0) if high_y else bottom + 0.02 * (y1 - y0),
                f"{zh}\n{en}", ha="right" if high_x else "left", va="top" if high_y else "bottom",
                fontsize=10, color=_POINT_COLOURS[zh], alpha=0.8, zorder=1)
    ax.axvline(x_line, color="#555555", lw=1, ls="--", zorder=2)
    ax.axhline(y_line, color="#555555", lw=1, ls="--", zorder=2)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(x_label or {"share": "重要性 importance (share of explained variance)",
                              "importance": "重要性 importance (total effect)"}.get(x, x))
    ax.set_ylabel(y_label or {"performance_100": "表现 performance (0-100)",
                              "performance": "表现 performance (index 0-100)"}.get(y, y))
    if x == "share":
        ax.xaxis.set_major_formatter(lambda v, _: f"{100 * v:.1f}%" if np.ptp(ax.get_xlim()) < 0.2 else f"{100 * v:.0f}%")
    ax.set_title(title or "重要性-表现四分图 importance-performance map")
    return fig


def better_worse_chart(table: pd.DataFrame, lines: str | tuple[float, float] = "mean", label: str | None = None,
                       title: str | None = None, figsize=(8, 6)):
    """The Better-Worse chart of :func:`kano_table`: |Worse| along x, Better up y.

    Regions: 期望型 one-dimensional (top right), 魅力型 attractive (top left), 必备型 must-be (bottom
    right), 无差异型 indifferent (bottom left), split at the means of the features (``lines="mean"``),
    at 0.5 (``lines=(0.5, 0.5)``), or at given values.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"feature": ["一次修好", "进度查询"], "better": [0.2, 0.8], "worse": [-0.85, -0.2]})
    >>> fig = better_worse_chart(t)
    >>> fig.axes[0].get_xlabel()
    '|Worse| 不提供时的不满意影响'
    """
    for col in ("better", "worse"):
        if col not in table.columns:
            raise ConfigError(f"column {col!r} not in the table: pass the result of kano_table", column=col)
    label = label or ("label" if "label" in table else "feature")
    xs = np.abs(table["worse"].to_numpy(dtype=float))
    ys = table["better"].to_numpy(dtype=float)
    if isinstance(lines, str):
        if lines != "mean":
            raise ConfigError("lines must be 'mean' or (x, y)", key="lines")
        x_line, y_line = float(xs.mean()), float(ys.mean())
    else:
        x_line, y_line = map(float, lines)
    fig, ax = _figure(figsize)
    names = {(True, True): ("期望型", "one-dimensional", "#238b45"), (False, True): ("魅力型", "attractive", "#2171b5"),
             (True, False): ("必备型", "must-be", "#cb181d"), (False, False): ("无差异型", "indifferent", "#737373")}
    colours = [names[(bool(a >= x_line), bool(b >= y_line))][2] for a, b in zip(xs, ys, strict=True)]
    ax.scatter(xs, ys, c=colours, s=60, zorder=3)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    _place_labels(ax, xs, ys, list(table[label]), colours)
    ax.axvline(x_line, color="#555555", lw=1, ls="--")
    ax.axhline(y_line, color="#555555", lw=1, ls="--")
    for (high_x, high_y), (zh, en, colour) in names.items():
        ax.text(0.98 if high_x else 0.02, 0.98 if high_y else 0.02, f"{zh}\n{en}", transform=ax.transAxes,
                ha="right" if high_x else "left", va="top" if high_y else "bottom", color=colour, alpha=0.8)
    ax.set_xlabel("|Worse| 不提供时的不满意影响")
    ax.set_ylabel("Better 提供时的满意提升")
    ax.set_title(title or "KANO Better-Worse 分析")
    return fig


def gap_chart(table: pd.DataFrame, level: str = "dimension", title: str | None = None, figsize=(8, 5)):
    """Horizontal bars of the SERVQUAL gaps (perception - expectation) of :func:`servqual_gaps`, with
    their confidence intervals; bars below zero (service short of expectations) are red, and bars whose
    test is significant are drawn solid, the others hatched.

    Examples
    --------
    >>> from cs_toolkit.satisfaction.demo import make_servqual_survey
    >>> from cs_toolkit.satisfaction.servqual import servqual_gaps, servqual_pairs
    >>> s = make_servqual_survey(n=200, seed=0)
    >>> fig = gap_chart(servqual_gaps(s.data, servqual_pairs(s.data.columns), s.measurement))
    >>> [t.get_text() for t in fig.axes[0].get_yticklabels()][:2]
    ['有形性 tangibles', '可靠性 reliability']
    """
    if "gap" not in table.columns or "level" not in table.columns:
        raise ConfigError("pass the result of servqual_gaps", column="gap")
    part = table[table["level"] == level]
    if part.empty:
        raise ConfigError(f"no rows of level {level!r}; levels: {sorted(table['level'].unique())}", key="level")
    if level == "item":
        names = part["item"].astype(str).tolist()
    elif level == "dimension":
        names = [f"{zh} {d}" if isinstance(zh, str) else str(d) for d, zh in zip(part["dimension"], part["dimension_zh"],
                                                                                  strict=True)]
    else:
        names = part["level"].tolist()
    gaps = part["gap"].to_numpy(dtype=float)
    low = gaps - part["ci_low"].to_numpy(dtype=float)
    high = part["ci_high"].to_numpy(dtype=float) - gaps
    fig, ax = _figure(figsize)
    pos = np.arange(len(part))[::-1]
    colours = ["#cb181d" if g < 0 else "#238b45" for g in gaps]
    hatches = ["" if s else "//" for s in part["significant"].fillna(False)]
    bars = ax.barh(pos, gaps, xerr=[low, high], color=colours, alpha=0.8, capsize=3)
    for bar, hatch in zip(bars, hatches, strict=True):
        bar.set_hatch(hatch)
        if hatch:
            bar.set_alpha(0.4)
    ax.set_yticks(pos, names)
    ax.axvline(0, color="k", lw=1)
    ax.set_xlabel("差距 gap = 感知 perception - 期望 expectation")
    ax.set_title(title or "SERVQUAL 差距分析 (实心: 检验显著 / hatched: not significant)")
    return fig


__all__ = ["better_worse_chart", "gap_chart", "quadrant_chart"]
