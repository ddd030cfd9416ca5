"""A transcript search query, parsed by us and never handed to a full-text engine raw: ``q`` is
words (all must occur in one cue) and "quoted phrases" (their words adjacent, in order). A
word written with inner punctuation ("e-mail", "l'école") is a phrase of its parts, as the
index stores it. The expressions for FTS5 and PostgreSQL are built from folded words alone,
which hold only letters, digits and marks, so no query can be a syntax error."""

from __future__ import annotations

from dataclasses import dataclass

from mediaobjects.captions.folding import folded_words
from mediaobjects.errors import BadRequest

MAX_QUERY_LENGTH = 200
MAX_QUERY_WORDS = 20
EMPTY_MESSAGE = "q must contain at least one word (letters or digits)"
LONG_MESSAGE = f"q must be at most {MAX_QUERY_LENGTH} characters"
MANY_MESSAGE = f"q must have at most {MAX_QUERY_WORDS} words"


@dataclass(frozen=True)
class SearchQuery:
    """``groups``: each a phrase of one or more folded words; every group must match."""

    groups: tuple[tuple[str, ...], ...]

    @property
    def words(self) -> frozenset[str]:
        return frozenset(word for group in self.groups for word in group)

    def fts5_match(self) -> str:
        """An FTS5 MATCH expression: each group a quoted phrase, joined by AND."""
        return " AND ".join('"' + " ".join(group) + '"' for group in self.groups)

    def phrases(self) -> list[str]:
        """Each group as text for PostgreSQL's ``phraseto_tsquery``."""
        return [" ".join(group) for group in self.groups]


def _chunks(q: str) -> list[str]:
    """Quoted stretches whole, the rest split at white space; an unclosed quote runs to the
    end."""
    chunks: list[str] = []
    for number, stretch in enumerate(q.split('"')):
        if number % 2 == 1:
            chunks.append(stretch)
        else:
            chunks.extend(stretch.split())
    return chunks


def parse_query(q: str | None) -> SearchQuery:
    """The query ``q``, or 400 for none, only punctuation, too long, too many words, NUL or a
    lone surrogate."""
    if q is None or q.strip() == "":
        raise BadRequest.for_field("q", EMPTY_MESSAGE)
    if "\x00" in q:
        raise BadRequest.for_field("q", "q must not contain NUL characters")
    if any(0xD800 <= ord(char) <= 0xDFFF for char in q):
        raise BadRequest.for_field("q", "q is not valid Unicode text (it has a lone surrogate)")
    if len(q) > MAX_QUERY_LENGTH:
        raise BadRequest.for_field("q", LONG_MESSAGE)
    groups: list[tuple[str, ...]] = []
    count = 0
    for chunk in _chunks(q):
        group = tuple(folded_words(chunk))
        count += len(group)
        if group and group not in groups:
            groups.append(group)
    if not groups:
        raise BadRequest.for_field("q", EMPTY_MESSAGE)
    if count > MAX_QUERY_WORDS:
        raise BadRequest.for_field("q", MANY_MESSAGE)
    return SearchQuery(tuple(groups))
