"""Complaint taxonomy: hierarchical, bilingual categories with keywords, patterns and example phrases.

A taxonomy is a YAML file::

    name: real-estate after-sales
    version: "2026.1"
    categories:
      - id: quality.leak
        parent: quality
        name: {zh: 渗漏, en: Leaks}
        keywords: [漏水, 渗水, leak, seeping]
        patterns: ['卫生间.{0,6}(漏|渗)']
        examples: [卫生间顶棚漏水, water leaking through the ceiling]
    request_types:            # 咨询/投诉/建议
      - id: complaint
        name: {zh: 投诉, en: Complaint}
        keywords: [投诉, 不满, complain]

Users replace it or extend it (:meth:`Taxonomy.extend`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from cs_toolkit.errors import ConfigError
from cs_toolkit.yaml_files import load_yaml


@dataclass(frozen=True)
class Category:
    id: str
    name_zh: str
    name_en: str
    parent: str | None = None
    keywords: tuple[str, ...] = ()
    patterns: tuple[re.Pattern, ...] = ()
    examples: tuple[str, ...] = ()

    @property
    def level(self) -> int:
        return 1 if self.parent is None else 2


@dataclass(frozen=True)
class Taxonomy:
    """A versioned set of categories (level 1 and level 2) and request types."""

    name: str
    version: str
    categories: dict[str, Category]
    request_types: dict[str, Category] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, raw: dict, source: str = "<dict>") -> Taxonomy:
        if not isinstance(raw, dict) or "categories" not in raw:
            raise ConfigError(f"{source}: a taxonomy needs 'categories' (and 'name', 'version')")
        if "version" not in raw:
            raise ConfigError(f"{source}: a taxonomy needs a 'version', so models can say which one they learned")

        def build(items, kind):
            out: dict[str, Category] = {}
            for item in items or []:
                if "id" not in item:
                    raise ConfigError(f"{source}: every {kind} needs an 'id' ({item!r})")
                names = item.get("name") or {}
                if isinstance(names, str):
                    names = {"zh": names, "en": names}
                try:
                    patterns = tuple(re.compile(p, re.IGNORECASE) for p in item.get("patterns") or [])
                except re.error as exc:
                    raise ConfigError(f"{source}: {kind} {item['id']!r} has an invalid pattern: {exc}") from exc
                cid = str(item["id"])
                if cid in out:
                    raise ConfigError(f"{source}: {kind} id {cid!r} appears twice")
                out[cid] = Category(
                    id=cid,
                    name_zh=str(names.get("zh", cid)),
                    name_en=str(names.get("en", cid)),
                    parent=item.get("parent"),
                    keywords=tuple(str(k).lower() for k in item.get("keywords") or []),
                    patterns=patterns,
                    examples=tuple(str(e) for e in item.get("examples") or []),
                )
            return out

        categories = build(raw["categories"], "category")
        for cat in categories.values():
            if cat.parent is not None and cat.parent not in categories:
                raise ConfigError(f"{source}: category {cat.id!r} has unknown parent {cat.parent!r}")
        return cls(str(raw.get("name", "taxonomy")), str(raw["version"]), categories,
                   build(raw.get("request_types"), "request type"))

    @classmethod
    def from_yaml(cls, path: str | Path) -> Taxonomy:
        return cls.from_dict(load_yaml(path, "taxonomy"), str(path))

    def leaves(self) -> list[Category]:
        """Categories without children: what a complaint is filed under."""
        parents = {c.parent for c in self.categories.values() if c.parent}
        return [c for c in self.categories.values() if c.id not in parents]

    def label(self, category_id: str, language: str = "zh") -> str:
        """The name a report shows for a category id (its own name, not the path); an id the taxonomy
        does not know (a model trained on other labels) is shown as it is.

        Examples
        --------
        >>> tax = load_taxonomy()
        >>> tax.label("quality.leak"), tax.label("quality.leak", "en"), tax.label("Mortgage")
        ('渗漏', 'Leaks and damp', 'Mortgage')
        """
        cat = self.categories.get(str(category_id))
        if cat is None:
            return str(category_id)
        return cat.name_zh if language == "zh" else cat.name_en

    def path(self, category_id: str, language: str = "zh") -> str:
        """``"工程质量 / 渗漏"`` for a level-2 category."""
        cat = self.categories[category_id]
        names = []
        while cat is not None:
            names.append(cat.name_zh if language == "zh" else cat.name_en)
            cat = self.categories.get(cat.parent) if cat.parent else None
        return " / ".join(reversed(names))

    def extend(self, raw: dict) -> Taxonomy:
        """A new taxonomy with categories added or replaced from a dict of the same form."""
        merged = {
            "name": self.name,
            "version": str(raw.get("version", self.version + "+ext")),
            "categories": [_as_dict(c) for c in self.categories.values() if c.id not in
                           {str(x["id"]) for x in raw.get("categories", [])}] + list(raw.get("categories", [])),
            "request_types": [_as_dict(c) for c in self.request_types.values()] + list(raw.get("request_types", [])),
        }
        return Taxonomy.from_dict(merged, "extended taxonomy")


def _as_dict(cat: Category) -> dict:
    return {"id": cat.id, "parent": cat.parent, "name": {"zh": cat.name_zh, "en": cat.name_en},
            "keywords": list(cat.keywords), "patterns": [p.pattern for p in cat.patterns],
            "examples": list(cat.examples)}


def load_taxonomy(source: str | Path = "default") -> Taxonomy:
    """The default real-estate after-sales taxonomy (``"default"``) or one from a YAML file.

    Examples
    --------
    >>> tax = load_taxonomy()
    >>> tax.path("quality.leak")
    '工程质量 / 渗漏'
    """
    if str(source) == "default":
        text = resources.files("cs_toolkit.complaints").joinpath("default_taxonomy.yaml").read_text(encoding="utf-8")
        return Taxonomy.from_dict(yaml.safe_load(text), "default taxonomy")
    return Taxonomy.from_yaml(source)
