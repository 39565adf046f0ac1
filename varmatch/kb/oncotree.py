"""The OncoTree tumor-type hierarchy bundled with varmatch (``varmatch/data/oncotree.tsv``).

Evidence rows and the patient's tumor type are OncoTree codes; tiering asks whether the patient's
code is the row's code or lies below it (:meth:`OncoTree.is_within`). The table is the whole tree
of one OncoTree release (the version is in the file's first comment line and in
:attr:`OncoTree.version`); ``scripts/build_oncotree.py`` documents where it came from. The root is
``TISSUE``; tissue-level nodes (``BREAST``, ``HEAD_NECK`` ...) have ``TISSUE`` as parent.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from varmatch.errors import UsageError

ROOT = "TISSUE"
_VERSION_RE = re.compile(r"\b(oncotree_\d{4}_\d{2}_\d{2})\b")


@dataclass(frozen=True)
class Node:
    """One OncoTree node: its code, name, parent code ('' for the root) and tissue name."""

    code: str
    name: str
    parent: str
    tissue: str


class OncoTree:
    """An OncoTree release: codes, names and parent links, with case-insensitive lookup."""

    def __init__(self, nodes: list[Node], version: str = "unknown",
                 aliases: dict[str, tuple[str, str]] | None = None):
        self.version = version
        # codes of earlier OncoTree releases and TCGA study codes -> (bundled code, basis)
        self.aliases = {k.upper(): v for k, v in (aliases or {}).items()}
        self._nodes: dict[str, Node] = {}
        for node in nodes:
            if node.code in self._nodes:
                raise ValueError(f"duplicate OncoTree code {node.code}")
            self._nodes[node.code] = node
        for node in nodes:
            if node.parent and node.parent not in self._nodes:
                raise ValueError(f"OncoTree code {node.code}: unknown parent {node.parent}")
        self._upper = {code.upper(): code for code in self._nodes}
        by_name: dict[str, list[str]] = {}
        for node in nodes:
            by_name.setdefault(node.name.casefold(), []).append(node.code)
        # a name resolves only when exactly one node carries it ("Mature Teratoma" is ambiguous)
        self._by_name = {name: codes[0] for name, codes in by_name.items() if len(codes) == 1}
        # "did you mean" per unknown text: difflib over every code and name is the slow part of
        # resolving, and a cohort asks for the same unknown code once per sample
        self._hints: dict[str, str] = {}
        # the tree never changes once built: tiering asks the same questions for every sample
        self._within: dict[tuple[str, str], bool] = {}
        self._children: dict[str, list[str]] = {}

    # ----------------------------------------------------------------------------------------------
    @classmethod
    def from_text(cls, text: str) -> OncoTree:
        """Parse the bundled TSV: ``#`` comment lines, a header, then code/name/parent/tissue."""
        version = "unknown"
        nodes: list[Node] = []
        header_seen = False
        for raw in text.splitlines():
            if raw.startswith("#"):
                m = _VERSION_RE.search(raw)
                if m and version == "unknown":
                    version = m.group(1)
                continue
            if not raw.strip():
                continue
            fields = raw.split("\t")
            if not header_seen:
                if fields[:4] != ["code", "name", "parent", "tissue"]:
                    raise ValueError(f"unexpected OncoTree header: {raw!r}")
                header_seen = True
                continue
            fields += [""] * (4 - len(fields))
            code, name, parent, tissue = (f.strip() for f in fields[:4])
            nodes.append(Node(code, name, parent, tissue))
        return cls(nodes, version)

    @classmethod
    def bundled(cls) -> OncoTree:
        """The tree shipped in ``varmatch.data`` (read once, then cached)."""
        return _bundled()

    # ----------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._nodes)

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.has(code)

    def codes(self) -> list[str]:
        """All codes, sorted."""
        return sorted(self._nodes)

    def has(self, code: str) -> bool:
        """True when ``code`` (any case) is an OncoTree code."""
        return code.strip().upper() in self._upper

    def node(self, code: str) -> Node:
        return self._nodes[self.resolve(code)]

    def name(self, code: str) -> str:
        """'NPC' -> 'Nasopharyngeal Carcinoma'."""
        return self.node(code).name

    def tissue(self, code: str) -> str:
        """'NPC' -> 'Head and Neck' (empty for the root)."""
        return self.node(code).tissue

    def parent(self, code: str) -> str | None:
        """'NPC' -> 'HEAD_NECK'; 'BREAST' -> 'TISSUE'; 'TISSUE' -> None."""
        return self.node(code).parent or None

    def ancestors(self, code: str) -> list[str]:
        """Parent first, root last: 'IDC' -> ['BRCA', 'BREAST', 'TISSUE']."""
        out = []
        up = self.parent(code)
        while up is not None:
            out.append(up)
            up = self._nodes[up].parent or None
        return out

    def children(self, code: str) -> list[str]:
        """Direct children of ``code``, sorted."""
        target = self.resolve(code)
        if target not in self._children:
            self._children[target] = sorted(n.code for n in self._nodes.values()
                                            if n.parent == target)
        return list(self._children[target])

    def is_within(self, code: str, ancestor: str) -> bool:
        """True when ``code`` is ``ancestor`` or lies below it ('NPC' is within 'HEAD_NECK')."""
        known = self._within.get((code, ancestor))
        if known is None:
            c, a = self.resolve(code), self.resolve(ancestor)
            known = self._within[(code, ancestor)] = c == a or a in self.ancestors(c)
        return known

    def resolve(self, code: str) -> str:
        """The canonical code for ``code`` (any case), or for a node name carried by one node.

        Raises :class:`~varmatch.errors.UsageError` naming the closest codes for anything else.
        """
        text = code.strip()
        found = self._upper.get(text.upper()) or self._by_name.get(text.casefold())
        if found:
            return found
        if text.upper() in self.aliases and self.aliases[text.upper()][0] in self._nodes:
            return self.aliases[text.upper()][0]
        if text not in self._hints:
            self._hints[text] = self._suggest(text)
        hint = self._hints[text]
        raise UsageError(
            f"unknown OncoTree code {code!r}; "
            + (f"{hint} " if hint else "")
            + "(see varmatch kb tumor-types)"
        )

    def alias_note(self, code: str) -> str:
        """A sentence naming the code used when ``code`` is a previous OncoTree code or a TCGA
        study code ('' for a code of this release)."""
        text = code.strip().upper()
        if text in self._upper or text not in self.aliases:
            return ""
        target, basis = self.aliases[text]
        return (f"{code.strip()} is not a code of {self.version}: using {target} "
                f"({self.name(target)}); {basis}")

    def _by_words(self, text: str) -> list[str]:
        """Nodes whose name shares word stems with ``text`` ('NASOPHARYNX' -> NPC): a query word
        and a name word match when they agree on their first 6+ letters (or entirely)."""
        words = [w for w in re.split(r"[^a-z]+", text.casefold()) if len(w) >= 4]
        scored = []
        for node in self._nodes.values():
            name_words = re.split(r"[^a-z]+", node.name.casefold())
            hits = sum(1 for w in words if any(
                nw == w or (len(nw) >= 6 and len(w) >= 6 and _stem(nw) == _stem(w))
                for nw in name_words))
            if hits:
                scored.append((-hits, len(node.name), node.code))
        return [c for _, _, c in sorted(scored)[:3]]

    def _suggest(self, text: str) -> str:
        codes = difflib.get_close_matches(text.upper(), list(self._upper), n=3, cutoff=0.6)
        names = difflib.get_close_matches(text.casefold(), list(self._by_name), n=3, cutoff=0.6)
        picks: list[str] = []
        for hit in [*self._by_words(text), *(self._upper[c] for c in codes),
                    *(self._by_name[n] for n in names)]:
            if hit not in picks:
                picks.append(hit)
        if not picks:
            return ""
        shown = ", ".join(f"{c} ({self._nodes[c].name})" for c in picks[:4])
        return f"did you mean {shown}?"


def _stem(word: str) -> str:
    """A crude stem: the word up to its last 6+ letter prefix shared by related forms
    (nasopharynx / nasopharyngeal -> nasophary)."""
    return word[:max(6, min(len(word) - 2, 9))]


@lru_cache(maxsize=1)
def _bundled() -> OncoTree:
    data = resources.files("varmatch.data")
    tree = OncoTree.from_text(data.joinpath("oncotree.tsv").read_text(encoding="utf-8"))
    node = data.joinpath("oncotree_aliases.tsv")
    if node.is_file():
        for line in node.read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or line.startswith("alias\t") or not line.strip():
                continue
            alias, code, _kind, basis = line.split("\t")
            tree.aliases[alias.upper()] = (code, basis)
    return tree
