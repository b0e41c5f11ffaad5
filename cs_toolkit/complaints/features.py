"""Vectorised TF-IDF features of complaint texts: hashed character and word n-grams computed with NumPy.

Three blocks, each L2-normalised on its own and weighted (as scikit-learn's ``TfidfVectorizer`` in a
``ColumnTransformer`` would, but without a Python call per text or per n-gram):

* ``cjk``: character n-grams (1..``cjk_max_n``) inside runs of Chinese characters (they carry Chinese
  without a word segmenter and survive typos);
* ``word``: Latin-script words (letters and digits, e.g. "p17f1") and word bigrams;
* ``latin_char``: character n-grams (2..5) of each Latin word padded with spaces (``char_wb``), which
  carry English inflections and typos;

and, for short Chinese texts (one-line summaries, titles), where longer n-grams lean too much on brand
and place names, ``cjk_uni``: the Chinese characters alone, as a block of their own (so single characters
weigh more).

Every n-gram is a 64-bit polynomial hash of its code points (computed for all positions at once from a
prefix sum modulo 2**64, then mixed), so the vocabulary is a sorted array of hashes and a text's features
are found with ``np.searchsorted``. With at most a few million distinct n-grams, two colliding is a
one-in-a-million event. Term frequencies are sublinear (1 + log tf) and weighted by the smoothed IDF,
exactly as ``TfidfVectorizer(sublinear_tf=True)`` does.
"""

from __future__ import annotations

import numpy as np

_P = np.uint64(0x100000001B3)  # odd, so invertible modulo 2**64
_P_INV = np.uint64(pow(0x100000001B3, -1, 2**64))
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_BLOCKS = ("cjk", "word", "latin_char", "cjk_uni")
_CJK_RANGES = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xF900, 0xFAFF))


def _mix(z: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads polynomial hashes over all 64 bits (wrapping arithmetic)."""
    z = z ^ (z >> np.uint64(30))
    z = z * _M1
    z = z ^ (z >> np.uint64(27))
    z = z * _M2
    return z ^ (z >> np.uint64(31))


def _salt(name: str, n: int) -> np.uint64:
    return np.uint64((hash_str(name) * 1_000_003 + n) % 2**64)


def hash_str(s: str) -> int:
    """A stable (not per-process-salted) 64-bit hash of a short string."""
    h = 0xCBF29CE484222325
    for b in s.encode("utf-8"):
        h = ((h ^ b) * 0x100000001B3) % 2**64
    return h


class _Sequence:
    """Code points of many texts laid end to end, with the prefix sums that give any n-gram's hash."""

    def __init__(self, cps: np.ndarray):
        self.cps = cps
        n = len(cps)
        with np.errstate(over="ignore"):
            ppow = np.full(n, _P, dtype=np.uint64)
            if n:
                ppow[0] = 1
            self.ppow = np.cumprod(ppow, dtype=np.uint64)  # P**i
            pinv = np.full(n, _P_INV, dtype=np.uint64)
            if n:
                pinv[0] = 1
            scaled = cps.astype(np.uint64) * np.cumprod(pinv, dtype=np.uint64)  # cp_i * P**-i
            self.prefix = np.concatenate([np.zeros(1, np.uint64), np.cumsum(scaled, dtype=np.uint64)])

    def hashes(self, start: np.ndarray, length: np.ndarray | int) -> np.ndarray:
        """Hash of cps[start:start+length] (the same for the same code points wherever they are)."""
        end = start + length
        with np.errstate(over="ignore"):
            return self.ppow[end - 1] * (self.prefix[end] - self.prefix[start])


def _runs(mask: np.ndarray, doc_start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and length of every maximal run of True in ``mask`` that does not cross a text boundary."""
    if not len(mask):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    prev = np.concatenate([[False], mask[:-1]])
    begins = mask & (~prev | doc_start)
    nxt = np.concatenate([mask[1:], [False]])
    nxt_start = np.concatenate([doc_start[1:], [True]])
    ends = mask & (~nxt | nxt_start)
    start = np.flatnonzero(begins)
    length = np.flatnonzero(ends) - start + 1
    return start, length


def _ngrams_in_runs(seq: _Sequence, run_start, run_len, run_doc, n_min: int, n_max: int, salt_name: str):
    """(doc, hash) of every n-gram (n_min..n_max) lying inside one run."""
    docs, keys = [], []
    for n in range(n_min, n_max + 1):
        ok = run_len >= n
        if not ok.any():
            continue
        counts = run_len[ok] - n + 1
        # every start position of an n-gram inside the runs, without a Python loop over runs
        first = np.repeat(run_start[ok], counts)
        offset = np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)
        with np.errstate(over="ignore"):
            keys.append(_mix(seq.hashes(first + offset, n) ^ _salt(salt_name, n)))
        docs.append(np.repeat(run_doc[ok], counts))
    if not keys:
        return np.zeros(0, np.int64), np.zeros(0, np.uint64)
    return np.concatenate(docs), np.concatenate(keys)


def _codepoints(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    cps = np.frombuffer("".join(texts).encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)
    return cps, lengths


def extract(texts: list[str], blocks: tuple[str, ...], cjk_max_n: int = 3, latin_char: tuple[int, int] = (2, 5),
            extra_words: list[list[str]] | None = None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """For each block, the (document index, n-gram hash) of every n-gram occurrence in normalised ``texts``."""
    cps, lengths = _codepoints(texts)
    n_docs = len(texts)
    doc_of = np.repeat(np.arange(n_docs), lengths)
    doc_start = np.zeros(len(cps), dtype=bool)
    starts = np.cumsum(lengths) - lengths
    doc_start[starts[lengths > 0]] = True
    seq = _Sequence(cps)
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if "cjk" in blocks or "cjk_uni" in blocks:
        cjk = np.zeros(len(cps), dtype=bool)
        for lo, hi in _CJK_RANGES:
            cjk |= (cps >= lo) & (cps <= hi)
    if "cjk" in blocks:
        rs, rl = _runs(cjk, doc_start)
        out["cjk"] = _ngrams_in_runs(seq, rs, rl, doc_of[rs], 1, cjk_max_n, "cjk")
    if "cjk_uni" in blocks:
        out["cjk_uni"] = (doc_of[cjk], _mix(cps[cjk].astype(np.uint64) ^ _salt("cjk_uni", 1)))
    if "word" in blocks or "latin_char" in blocks:
        latin = ((cps >= 0x61) & (cps <= 0x7A)) | ((cps >= 0x30) & (cps <= 0x39)) | \
                ((cps >= 0xC0) & (cps <= 0x24F) & (cps != 0xD7) & (cps != 0xF7))
        ts, tl = _runs(latin, doc_start)
        tdoc = doc_of[ts]
        if "word" in blocks:
            with np.errstate(over="ignore"):
                words = _mix(seq.hashes(ts, tl) ^ _salt("word", 1))
                same = tdoc[1:] == tdoc[:-1]
                bigrams = _mix(words[:-1][same] * _P + words[1:][same] ^ _salt("word", 2))
            out["word"] = (np.concatenate([tdoc, tdoc[:-1][same]]), np.concatenate([words, bigrams]))
        if "latin_char" in blocks:
            # each word padded with a space on both sides, as its own run
            padded_len = tl + 2
            pstart = np.cumsum(padded_len) - padded_len
            buf = np.full(int(padded_len.sum()), 32, dtype=np.uint32)
            inner = np.repeat(pstart + 1, tl) + (np.arange(tl.sum()) - np.repeat(np.cumsum(tl) - tl, tl))
            buf[inner] = cps[np.repeat(ts, tl) + (np.arange(tl.sum()) - np.repeat(np.cumsum(tl) - tl, tl))]
            out["latin_char"] = _ngrams_in_runs(_Sequence(buf), pstart, padded_len, tdoc, latin_char[0],
                                                latin_char[1], "latin_char")
    if extra_words is not None:  # e.g. jieba's Chinese words (optional, slower)
        flat = [w for ws in extra_words for w in ws]
        wdoc = np.repeat(np.arange(n_docs), [len(ws) for ws in extra_words])
        keys = np.fromiter((hash_str(w) for w in flat), dtype=np.uint64, count=len(flat))
        out["cjk_word"] = (wdoc, _mix(keys ^ _salt("cjk_word", 1)))
    return out


def _unique_sorted(a: np.ndarray) -> np.ndarray:
    s = np.sort(a)
    return s[np.concatenate([[True], s[1:] != s[:-1]])] if len(s) else s


def _unique_inverse(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(a, return_inverse=True)`` by one sort (NumPy's hash-based path is slower here)."""
    order = np.argsort(a)
    s = a[order]
    first = np.concatenate([[True], s[1:] != s[:-1]]) if len(s) else np.zeros(0, dtype=bool)
    inverse = np.empty(len(a), dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    return s[first], inverse


class _HashTable:
    """Open-addressing table from 64-bit n-gram hashes to their column, probed for all keys at once."""

    def __init__(self, vocab: np.ndarray):
        size = 1 << max(4, int(np.ceil(np.log2(max(len(vocab), 1) * 2 + 1))))
        self.mask = np.uint64(size - 1)
        self.keys = np.zeros(size, dtype=np.uint64)
        self.values = np.full(size, -1, dtype=np.int64)
        pending = np.arange(len(vocab))
        step = 0
        while len(pending):
            slot = ((vocab[pending] + np.uint64(step)) & self.mask).astype(np.int64)
            free = self.values[slot] < 0
            slot, cand = slot[free], pending[free]
            slot, first = np.unique(slot, return_index=True)  # one key per free slot in this round
            self.keys[slot] = vocab[cand[first]]
            self.values[slot] = cand[first]
            placed = np.zeros(len(vocab), dtype=bool)
            placed[cand[first]] = True
            pending = pending[~placed[pending]]
            step += 1
        self.max_probe = step

    def find(self, keys: np.ndarray) -> np.ndarray:
        out = np.full(len(keys), -1, dtype=np.int64)
        todo = np.arange(len(keys))
        for step in range(self.max_probe):
            slot = ((keys[todo] + np.uint64(step)) & self.mask).astype(np.int64)
            value = self.values[slot]
            hit = (value >= 0) & (self.keys[slot] == keys[todo])
            out[todo[hit]] = value[hit]
            todo = todo[~hit & (value >= 0)]  # an empty slot ends the probe: not in the vocabulary
            if not len(todo):
                break
        return out


class HashedTfidf:
    """Fit a vocabulary of n-gram hashes with document frequencies, and turn texts into a TF-IDF matrix.

    The fitted state is plain arrays (:meth:`state` / :meth:`from_state`), so a model file holds data only.
    """

    def __init__(self, blocks: tuple[str, ...], weights: dict[str, float], cjk_max_n: int = 3,
                 min_df: dict[str, int] | None = None, max_features: int = 300_000):
        self.blocks = tuple(blocks)
        self.weights = dict(weights)
        self.cjk_max_n = int(cjk_max_n)
        self.min_df = dict(min_df or {})
        self.max_features = int(max_features)

    # -------------------------------------------------------------- fit
    def fit_transform(self, texts: list[str], extra_words=None):
        found = extract(texts, self.blocks, self.cjk_max_n, extra_words=extra_words)
        n_docs = len(texts)
        self.vocab_, self.idf_, self.offsets_ = {}, [], [0]
        names = [b for b in (*self.blocks, "cjk_word") if b in found]
        for name in names:
            docs, keys = found[name]
            uniq, inv = _unique_inverse(keys)
            pairs = _unique_sorted(docs.astype(np.int64) * len(uniq) + inv)
            df = np.bincount(pairs % len(uniq), minlength=len(uniq)) if len(uniq) else np.zeros(0, np.int64)
            keep = df >= self.min_df.get(name, 1)
            if keep.sum() > self.max_features:
                order = np.lexsort((uniq, -df))  # most frequent first, ties by hash (deterministic)
                chosen = np.zeros(len(uniq), dtype=bool)
                chosen[order[keep[order]][: self.max_features]] = True
                keep = chosen
            if not keep.any():
                continue  # a script the corpus does not have (e.g. no Chinese): no block
            self.vocab_[name] = uniq[keep]
            self.idf_.append((np.log((1 + n_docs) / (1 + df[keep])) + 1).astype(np.float32))
            self.offsets_.append(self.offsets_[-1] + int(keep.sum()))
        self.names_ = list(self.vocab_)
        self.idf_ = np.concatenate(self.idf_) if self.idf_ else np.zeros(0, np.float32)
        self.offsets_ = np.asarray(self.offsets_, dtype=np.int64)
        return self._matrix(found, n_docs)

    @property
    def n_features(self) -> int:
        return int(self.offsets_[-1])

    # -------------------------------------------------------------- transform
    def transform(self, texts: list[str], extra_words=None):
        return self._matrix(extract(texts, self.blocks, self.cjk_max_n, extra_words=extra_words), len(texts))

    def _lookup(self, name: str, keys: np.ndarray) -> np.ndarray:
        """Column (within its block) of each n-gram hash, or -1 when it is not in the vocabulary."""
        tables = getattr(self, "_tables", None)
        if tables is None:
            tables = self._tables = {}
        if name not in tables:
            tables[name] = _HashTable(self.vocab_[name])
        return tables[name].find(keys)

    def _matrix(self, found, n_docs: int):
        from scipy import sparse

        rows, cols = [], []
        for b, name in enumerate(self.names_):
            if name not in found:
                continue
            docs, keys = found[name]
            if not len(self.vocab_[name]) or not len(keys):
                continue
            idx = self._lookup(name, keys)
            hit = idx >= 0
            rows.append(docs[hit])
            cols.append(idx[hit] + self.offsets_[b])
        n_features = self.n_features
        if not rows:
            return sparse.csr_matrix((n_docs, n_features), dtype=np.float32)
        rows, cols = np.concatenate(rows), np.concatenate(cols)
        # COO to CSR sums the repeated (text, n-gram) entries: term frequencies, in O(nnz)
        X = sparse.coo_matrix((np.ones(len(rows), np.float32), (rows, cols.astype(np.int32))),
                              shape=(n_docs, n_features)).tocsr()
        X.sum_duplicates()  # (already done by tocsr in current SciPy; cheap when so)
        c = X.indices
        data = (1 + np.log(X.data)) * self.idf_[c]
        r = np.repeat(np.arange(n_docs), np.diff(X.indptr))
        block = np.zeros(len(c), dtype=np.int64)
        for edge in self.offsets_[1:-1]:  # a few blocks: comparisons beat a binary search
            block += c >= edge
        key = r * len(self.names_) + block
        norms = np.sqrt(np.bincount(key, weights=np.square(data, dtype=np.float64),
                                    minlength=n_docs * len(self.names_)))
        weight = np.asarray([self.weights.get(n, 1.0) for n in self.names_], dtype=np.float32)
        X.data = (data / norms[key]).astype(np.float32) * weight[block]
        return X

    # -------------------------------------------------------------- persistence (arrays only)
    def state(self) -> dict:
        return {"blocks": list(self.blocks), "names": list(self.names_),
                "weights": {k: float(v) for k, v in self.weights.items()}, "cjk_max_n": self.cjk_max_n,
                "vocab": {k: v for k, v in self.vocab_.items()}, "idf": self.idf_, "offsets": self.offsets_}

    @classmethod
    def from_state(cls, state: dict) -> HashedTfidf:
        self = cls(tuple(state["blocks"]), state["weights"], state["cjk_max_n"])
        self.names_ = list(state["names"])
        self.vocab_ = {k: np.asarray(v, dtype=np.uint64) for k, v in state["vocab"].items()}
        self.idf_ = np.asarray(state["idf"], dtype=np.float32)
        self.offsets_ = np.asarray(state["offsets"], dtype=np.int64)
        return self
