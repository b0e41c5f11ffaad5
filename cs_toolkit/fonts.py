"""Chinese text in charts: matplotlib's default font has no CJK glyphs (labels become boxes), so every
cs_toolkit chart first registers Noto Sans CJK SC, the font file the ``mplfonts`` package ships."""

from __future__ import annotations

import functools
from importlib import resources

FONT_FILE = "NotoSansCJKsc-Regular.otf"


@functools.cache
def use_cjk_font() -> str:
    """Make matplotlib draw Chinese and Latin text with Noto Sans CJK SC; returns the font name.

    Examples
    --------
    >>> use_cjk_font()
    'Noto Sans CJK SC'
    """
    import matplotlib
    from matplotlib import font_manager

    path = resources.files("mplfonts").joinpath("fonts", FONT_FILE)
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [name, "DejaVu Sans"]
    matplotlib.rcParams["axes.unicode_minus"] = False  # the CJK font has no U+2212 minus sign
    return name
