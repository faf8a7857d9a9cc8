"""A tiny, safe filter language over the sample table's property arrays.

Examples: ``porosity > 0.3``, ``0.2 < porosity < 0.3 and k_zz > 1``,
``status == failed or not (k_xx >= 0)``, ``k_yy == nan``.

Grammar (case-insensitive keywords; ``&``/``&&``/``,`` mean ``and``, ``|``/``||`` mean ``or``)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" expr ")" | comparison
    comparison := operand (op operand)+          # chained, like 0.2 < porosity < 0.3
    op         := "<" | "<=" | ">" | ">=" | "==" | "=" | "!="
    operand    := number | name | constant

Names are the table's column names (``porosity``, ``k_zz``, ``status``, ``index`` or ``#``);
constants are ``nan`` (``x == nan`` is true where ``x`` is missing), ``ok``, ``failed`` and
``unlabelled`` (the label status codes). The text is tokenised and parsed here — never
handed to ``eval`` — and evaluated with whole-array numpy operations (no loop over rows).
Comparisons with a missing value (NaN) are false, so ``k_xx > 0`` keeps computed samples only.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping

import numpy as np

from porestudio.errors import InputError

CONSTANTS: dict[str, float] = {"nan": float("nan"), "ok": 1.0, "failed": 2.0, "unlabelled": 0.0}
"""Named constants: missing value and the ``label_status`` codes."""

_OPS: dict[str, Callable[[np.ndarray, np.ndarray], np.ndarray]] = {
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}
_TOKEN = re.compile(
    r"\s*(?:(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*|\#)"
    r"|(?P<op><=|>=|==|!=|<|>|=)"
    r"|(?P<logic>&&|\|\||&|\||,)"
    r"|(?P<paren>[()])"
    r"|(?P<sign>-))"
)
_KEYWORDS = {"and": "and", "or": "or", "not": "not", "&": "and", "&&": "and", ",": "and"}
_KEYWORDS |= {"|": "or", "||": "or"}


class FilterError(InputError):
    """A malformed filter; ``position`` is the character offset of the problem."""

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.position = position


@dataclasses.dataclass(frozen=True)
class _Token:
    kind: str  # number, name, op, and, or, not, (, ), end
    text: str
    pos: int


def tokenize(text: str) -> list[_Token]:
    """Split a filter into tokens; FilterError on an unexpected character."""
    tokens, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            bad = text[pos:].lstrip()[:1]
            where = len(text) - len(text[pos:].lstrip())
            raise FilterError(f"unexpected {bad!r} at character {where + 1}", where)
        kind = match.lastgroup or ""
        value = match.group(kind)
        start = match.start(kind)
        if kind in ("logic", "name") and value.lower() in _KEYWORDS:
            kind = _KEYWORDS[value.lower()]
        elif kind == "paren":
            kind = value
        elif kind == "op" and value == "=":
            value = "=="
        tokens.append(_Token(kind, value, start))
        pos = match.end()
    tokens.append(_Token("end", "", len(text)))
    return tokens


class _Parser:
    """Recursive-descent parser building a numpy-evaluating closure tree."""

    def __init__(self, text: str, columns: Mapping[str, np.ndarray], n: int) -> None:
        self.tokens = tokenize(text)
        self.i = 0
        self.columns = {k.lower(): v for k, v in columns.items()}
        self.n = n

    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def fail(self, message: str, token: _Token | None = None) -> FilterError:
        token = token or self.tok
        if token.kind == "end":
            return FilterError(message, token.pos)
        return FilterError(f"{message} at character {token.pos + 1}", token.pos)

    def parse(self) -> np.ndarray:
        mask = self.expr()
        if self.tok.kind != "end":
            raise self.fail(f"unexpected {self.tok.text!r}")
        return mask

    def expr(self) -> np.ndarray:
        mask = self.and_expr()
        while self.tok.kind == "or":
            self.take()
            mask = mask | self.and_expr()
        return mask

    def and_expr(self) -> np.ndarray:
        mask = self.not_expr()
        while self.tok.kind == "and":
            self.take()
            mask = mask & self.not_expr()
        return mask

    def not_expr(self) -> np.ndarray:
        if self.tok.kind == "not":
            self.take()
            return ~self.not_expr()
        if self.tok.kind == "(":
            opening = self.take()
            mask = self.expr()
            if self.tok.kind != ")":
                raise self.fail("missing ')' to close the '('", opening)
            self.take()
            return mask
        return self.comparison()

    def comparison(self) -> np.ndarray:
        first = self.tok
        left = self.operand()
        if self.tok.kind != "op":
            what = "a comparison (<, <=, >, >=, ==, !=)"
            raise self.fail(f"expected {what} after {first.text!r}")
        mask, named = None, left[1]
        while self.tok.kind == "op":
            op = self.take().text
            right = self.operand()
            named = named or right[1]
            part = _compare(left[0], op, right[0])
            mask = part if mask is None else mask & part
            left = right
        if not named:
            raise self.fail("a comparison needs a column name, e.g. porosity > 0.3", first)
        return np.broadcast_to(mask, (self.n,)).copy()

    def operand(self) -> tuple[np.ndarray | float, bool]:
        token = self.take()
        if token.kind == "sign":
            value, named = self.operand()
            if named:
                raise self.fail("'-' only goes before numbers", token)
            return -value, False
        if token.kind == "number":
            return float(token.text), False
        if token.kind == "name":
            key = token.text.lower()
            if key in self.columns:
                return self.columns[key], True
            if key in CONSTANTS:
                return CONSTANTS[key], False
            known = ", ".join(sorted(self.columns))
            raise self.fail(f"unknown column {token.text!r} (columns: {known})", token)
        if token.kind == "end":
            raise self.fail("the filter ends too early", token)
        raise self.fail(f"expected a number or a column name, not {token.text!r}", token)


def _compare(a, op: str, b) -> np.ndarray:
    """``a op b`` on arrays or floats; ``x == nan`` / ``x != nan`` test for missing values."""
    for this, other in ((a, b), (b, a)):
        if isinstance(other, float) and np.isnan(other) and op in ("==", "!="):
            missing = np.isnan(np.asarray(this, dtype=float))
            return missing if op == "==" else ~missing
    return np.asarray(_OPS[op](a, b))


def numeric_columns(columns: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The columns a filter can compare (numeric arrays), by name."""
    return {k: v for k, v in columns.items() if np.asarray(v).dtype.kind in "iufb"}


def evaluate(text: str, columns: Mapping[str, np.ndarray], n: int) -> np.ndarray | None:
    """Samples that satisfy a filter.

    Parameters
    ----------
    text : str
        The filter (see the module docstring); empty or blank means no filter.
    columns : dict of str -> ndarray (n,)
        Column values by name (numeric arrays; text columns cannot be compared).
    n : int
        Number of samples.

    Returns
    -------
    ndarray of bool, shape (n,), or None
        True for the samples kept; None when the filter is empty.

    Raises
    ------
    FilterError
        Malformed filter or unknown column (the message names the position).
    """
    if not text.strip():
        return None
    with np.errstate(invalid="ignore"):
        return _Parser(text, numeric_columns(columns), n).parse()
