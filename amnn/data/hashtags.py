"""Hashtag cells as people write them, turned into clean, comparable tags.

A hashtag cell may be empty, space- or comma-separated (`"sandy nyc"`), '#'-prefixed and
glued (`"#sandy#nyc"`), or a Python list written as text (`"['sandy', 'nyc']"`, the form
the published AMNN code saved). Every form gives the same list of normalised tags.

Example:
    >>> parse_hashtags("#Sandy #NYC, sandy")
    ['sandy', 'nyc']
    >>> normalize_hashtag('  ##Café! ')
    'café'
"""

from __future__ import annotations

import ast
import re
import unicodedata
from typing import Any, Optional

import pandas as pd

# Tags are split at whitespace, commas (ASCII, full-width, ideographic), semicolons and
# '#'s (ASCII and full-width), so "#a#b" and "a,b" give two tags.
_SEPARATORS = re.compile(r"[\s,，、;；#＃]+")
# Variation selectors only choose emoji or text glyphs; "❤️" and "❤" are the same tag.
_VARIATION_SELECTORS = re.compile("[\ufe0e\ufe0f]")


def _is_edge_junk(char: str) -> bool:
    """Characters that can surround a tag but never belong to it."""
    if char in "#＃" or char.isspace():
        return True
    # P*: punctuation (quotes, brackets, commas) except Pc, since '_' is a hashtag
    # character; Cc/Cf: control and format characters (zero-width spaces); Z*: separators
    # not caught by isspace.
    category = unicodedata.category(char)
    return (category[0] in "PZ" and category != "Pc") or category in ("Cc", "Cf")


def _strip_edges(text: str) -> str:
    start, end = 0, len(text)
    while start < end and _is_edge_junk(text[start]):
        start += 1
    while end > start and _is_edge_junk(text[end - 1]):
        end -= 1
    return text[start:end]


def normalize_hashtag(tag: Any) -> Optional[str]:
    """One tag in canonical form, or None when nothing is left of it.

    Strips whitespace, leading '#'s and surrounding punctuation, applies Unicode NFC and
    case folding (Hangul is unchanged by folding), and drops emoji variation selectors.
    Internal whitespace is removed, since a hashtag cannot contain it.

    Args:
        tag: str. One hashtag as written; other values are converted with `str`.

    Example:
        >>> normalize_hashtag('"#HurricaneSandy",')
        'hurricanesandy'
        >>> normalize_hashtag('#맛집') , normalize_hashtag('#!?') is None
        ('맛집', True)
    """
    if tag is None:
        return None
    text = _VARIATION_SELECTORS.sub("", unicodedata.normalize("NFC", str(tag)))
    text = "".join(_strip_edges(text).split())
    # Case folding can decompose characters (e.g. 'ǰ'), so NFC runs again afterwards;
    # the final strip keeps the result stable when it is normalised a second time.
    text = unicodedata.normalize("NFC", text.casefold())
    text = _strip_edges(text)
    return text or None


def _is_missing(cell: Any) -> bool:
    """None, NaN, pandas.NA and the like: an empty cell, not text."""
    if cell is None or isinstance(cell, str):
        return cell is None
    try:
        return bool(pd.isna(cell))
    except (TypeError, ValueError):  # array-likes have no single truth value
        return False


def _list_literal(text: str) -> Optional[list[str]]:
    """The elements of a list written as Python text, or None when it is not one."""
    stripped = text.strip()
    if not (stripped.startswith("[") and stripped.endswith("]")):
        return None
    try:
        value = ast.literal_eval(stripped)  # literal_eval evaluates literals only, no code
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None  # malformed: the plain-text splitter strips the brackets and quotes
    if not isinstance(value, (list, tuple)):
        return None
    return [str(item) for item in value if not _is_missing(item)]


def parse_hashtags(cell: Any) -> list[str]:
    """The normalised tags of one hashtag cell, in written order, without duplicates.

    Accepts None, NaN and '' (no tags), space- or comma-separated tags, '#'-prefixed
    tags including glued ones ("#a#b"), emoji and Hangul tags, a Python list written as
    text ("['a', 'b']") and an actual list or tuple of strings.

    Args:
        cell: str, list, None or NaN. The content of one hashtag cell.

    Example:
        >>> parse_hashtags("['Sandy', 'nyc']")
        ['sandy', 'nyc']
        >>> parse_hashtags("#여행#맛집 #여행")
        ['여행', '맛집']
        >>> parse_hashtags(float("nan"))
        []
    """
    if isinstance(cell, (list, tuple)):
        pieces = [str(item) for item in cell if not _is_missing(item)]
    elif _is_missing(cell):
        return []
    else:
        text = str(cell)
        pieces = _list_literal(text)
        if pieces is None:
            pieces = [text]
    tags: list[str] = []
    seen: set[str] = set()
    for piece in pieces:
        # List elements go through the same splitter as plain text, so "['new york']"
        # and "new york" agree (a hashtag cannot contain a space).
        for raw in _SEPARATORS.split(piece):
            tag = normalize_hashtag(raw)
            if tag is not None and tag not in seen:
                seen.add(tag)
                tags.append(tag)
    return tags
