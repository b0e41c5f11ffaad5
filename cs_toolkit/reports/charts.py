"""The reports' charts: one figure per chart, Chinese labels drawn with a CJK font, one palette.

Figures are made without pyplot (a notebook would otherwise show each one twice: once displayed, once
returned); :meth:`~cs_toolkit.reports.builder.ReportBuilder.figure` embeds them with their alt text.
Charts never carry personal data: they show aggregates only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from cs_toolkit.fonts import use_cjk_font
from cs_toolkit.reports.builder import PALETTE


def _figure(width: float, height: float) -> Figure:
    use_cjk_font()
    fig = Figure(figsize=(width, height))
    fig.patch.set_facecolor("white")
    return fig


def _tidy(ax) -> None:
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.grid(axis="y", color="#e4e9f0", linewidth=0.8)
    ax.set_axisbelow(True)


def trend(labels: Sequence[str], estimate, low, high, title: str, ylabel: str, target: float | None = None,
          target_label: str = "") -> Figure:
    """A line of estimates over periods with its 95% confidence band (and a target line when given).

    Examples
    --------
    >>> fig = trend(["9/7", "9/14"], [10.0, 12.0], [5.0, 6.0], [15.0, 18.0], "NPS 趋势", "NPS")
    >>> len(fig.axes)
    1
    """
    fig = _figure(8, 3.4)
    ax = fig.add_subplot()
    x = np.arange(len(labels))
    estimate, low, high = (np.asarray(v, dtype=float) for v in (estimate, low, high))
    ax.fill_between(x, low, high, color=PALETTE["light"], label="95%")
    ax.plot(x, estimate, color=PALETTE["primary"], marker="o", linewidth=2)
    if len(x):
        ax.annotate(f"{estimate[-1]:.1f}", (x[-1], estimate[-1]), textcoords="offset points", xytext=(6, 6),
                    color=PALETTE["primary"])
    if target is not None:
        ax.axhline(target, color=PALETTE["warn"], linestyle="--", linewidth=1.2, label=target_label or None)
    ax.set_xticks(x, labels, rotation=0, fontsize=8)
    ax.set_title(title, loc="left", fontsize=12)
    ax.set_ylabel(ylabel)
    _tidy(ax)
    fig.tight_layout()
    return fig


def stacked_shares(labels: Sequence[str], parts: dict[str, Sequence[float]], colours: Sequence[str],
                   title: str) -> Figure:
    """Horizontal 100% bars (promoters, passives, detractors) per group, with the shares written in."""
    fig = _figure(8, 0.42 * len(labels) + 1.3)
    ax = fig.add_subplot()
    y = np.arange(len(labels))
    left = np.zeros(len(labels))
    for (name, values), colour in zip(parts.items(), colours, strict=True):
        values = np.asarray(values, dtype=float)
        ax.barh(y, values, left=left, color=colour, label=name, edgecolor="white")
        for yi, (lft, v) in enumerate(zip(left, values, strict=True)):
            if v >= 8:
                ax.text(lft + v / 2, yi, f"{v:.0f}%", ha="center", va="center", fontsize=8, color="white")
        left += np.nan_to_num(values)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_title(title, loc="left", fontsize=12)
    ax.legend(ncol=len(parts), loc="lower center", bbox_to_anchor=(0.5, -0.35 if len(labels) < 4 else -0.18),
              frameon=False, fontsize=9)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def bars(labels: Sequence[str], values: Sequence[float], title: str, xlabel: str = "",
         colour: str | None = None, errors: tuple[Sequence[float], Sequence[float]] | None = None,
         reference: float | None = None) -> Figure:
    """Horizontal bars, largest first as given, with optional 95% whiskers and a reference line."""
    fig = _figure(8, 0.36 * len(labels) + 1.2)
    ax = fig.add_subplot()
    y = np.arange(len(labels))
    xerr = None if errors is None else np.vstack([np.asarray(errors[0], float), np.asarray(errors[1], float)])
    ax.barh(y, values, xerr=xerr, color=colour or PALETTE["primary"], ecolor="#333333", capsize=3)
    if reference is not None:
        ax.axvline(reference, color=PALETTE["warn"], linestyle="--", linewidth=1.2)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlabel(xlabel)
    ax.set_title(title, loc="left", fontsize=12)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    fig.tight_layout()
    return fig


def columns(labels: Sequence[str], values: Sequence[float], title: str, ylabel: str = "",
            highlight_last: bool = True) -> Figure:
    """Vertical bars over periods (the current one highlighted), values written on top."""
    fig = _figure(8, 3.2)
    ax = fig.add_subplot()
    x = np.arange(len(labels))
    colours = [PALETTE["neutral"]] * len(labels)
    if highlight_last and len(labels):
        colours[-1] = PALETTE["primary"]
    ax.bar(x, values, color=colours)
    for xi, v in zip(x, values, strict=True):
        ax.text(xi, v, f"{v:,.0f}", ha="center", va="bottom", fontsize=8)
    ax.set_xticks(x, labels, fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left", fontsize=12)
    _tidy(ax)
    fig.tight_layout()
    return fig


def pareto(labels: Sequence[str], counts: Sequence[float], title: str, ylabel: str, cumulative_label: str) -> Figure:
    """Categories by count, largest first, with the cumulative share line (the 80% line dotted)."""
    fig = _figure(9, 3.8)
    ax = fig.add_subplot()
    counts = np.asarray(counts, dtype=float)
    x = np.arange(len(labels))
    ax.bar(x, counts, color=PALETTE["primary"])
    ax.set_xticks(x, labels, rotation=45, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.set_title(title, loc="left", fontsize=12)
    share = 100 * np.cumsum(counts) / counts.sum() if counts.sum() else np.zeros_like(counts)
    twin = ax.twinx()
    twin.plot(x, share, color=PALETTE["bad"], marker="o", markersize=3)
    twin.axhline(80, color=PALETTE["neutral"], linestyle=":", linewidth=1)
    twin.set_ylim(0, 105)
    twin.set_ylabel(cumulative_label)
    _tidy(ax)
    fig.tight_layout()
    return fig


def heatmap(table: pd.DataFrame, title: str) -> Figure:
    """Counts of a rows x columns table (e.g. project x category), darker is more, numbers written in."""
    fig = _figure(max(6, 0.55 * table.shape[1] + 2.5), 0.45 * table.shape[0] + 1.8)
    ax = fig.add_subplot()
    values = table.to_numpy(dtype=float)
    image = ax.imshow(values, cmap="Blues", aspect="auto")
    ax.set_xticks(np.arange(table.shape[1]), [str(c) for c in table.columns], rotation=45, ha="right", fontsize=8)
    ax.set_yticks(np.arange(table.shape[0]), [str(i) for i in table.index], fontsize=9)
    top = values.max() if values.size else 0
    for (i, j), v in np.ndenumerate(values):
        if v:
            ax.text(j, i, f"{v:.0f}", ha="center", va="center", fontsize=7,
                    color="white" if v > 0.6 * top else PALETTE["text"])
    ax.set_title(title, loc="left", fontsize=12)
    fig.colorbar(image, ax=ax, fraction=0.025)
    fig.tight_layout()
    return fig
