"""A guarded XML reader for caption files: expat builds a small tree that remembers each
element's line, and refuses what makes XML dangerous or costly to read.

Guards (the ones defusedxml applies, plus a depth limit): entity declarations are refused, so
there is no "billion laughs" expansion and no external entity that could read a file or a URL;
external DTDs are never loaded; elements nested deeper than MAX_DEPTH are refused with a
CaptionError (a tree that deep is no caption file, and walking it recursively would exhaust
Python's stack).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from xml.parsers import expat

from ._text import strip_bom
from .errors import CaptionError

MAX_DEPTH = 64
XML_NS = "http://www.w3.org/XML/1998/namespace"


@dataclass
class Element:
    """``namespace`` is "" when the element has none; ``attributes`` maps (namespace, local
    name) to value; ``children`` holds elements and text, in document order."""

    namespace: str
    name: str
    attributes: dict[tuple[str, str], str]
    line: int
    children: list[Element | str] = field(default_factory=list)

    def attribute(self, name: str, namespace: str = "") -> str | None:
        return self.attributes.get((namespace, name))

    def attribute_in(self, name: str, suffixes: tuple[str, ...]) -> str | None:
        """The attribute ``name`` in any namespace ending with one of ``suffixes`` (TTML's
        style, parameter and metadata namespaces differ between TTML and the older DFXP)."""
        for (namespace, local), value in self.attributes.items():
            if local == name and namespace.endswith(suffixes):
                return value
        return None

    def elements(self) -> list[Element]:
        return [child for child in self.children if isinstance(child, Element)]

    def text(self) -> str:
        return "".join(child if isinstance(child, str) else child.text() for child in self.children)


def _split(name: str) -> tuple[str, str]:
    namespace, _, local = name.rpartition(" ")
    return namespace, local


def parse_xml(content: str) -> Element:
    """Parse ``content`` into a tree; raise CaptionError (with the parser's line) when it is
    not well-formed or trips a guard."""
    try:
        data = strip_bom(content).encode("utf-8")
    except UnicodeEncodeError:
        raise CaptionError("is not valid Unicode text") from None
    # The encoding argument overrides an encoding="UTF-16" declaration: the text is already
    # decoded, and we hand expat its UTF-8 form.
    parser = expat.ParserCreate(encoding="UTF-8", namespace_separator=" ")
    stack: list[Element] = []
    roots: list[Element] = []

    def refuse_entity(*_: object) -> None:
        raise CaptionError(
            "entity declarations are not allowed in caption files", parser.CurrentLineNumber
        )

    def refuse_external(*_: object) -> int:
        raise CaptionError(
            "external entities are not allowed in caption files", parser.CurrentLineNumber
        )

    def start(name: str, attributes: dict[str, str]) -> None:
        if len(stack) >= MAX_DEPTH:
            raise CaptionError(
                f"elements are nested more than {MAX_DEPTH} deep", parser.CurrentLineNumber
            )
        namespace, local = _split(name)
        element = Element(
            namespace,
            local,
            {_split(key): value for key, value in attributes.items()},
            parser.CurrentLineNumber,
        )
        if stack:
            stack[-1].children.append(element)
        else:
            roots.append(element)
        stack.append(element)

    def end(_: str) -> None:
        stack.pop()

    def characters(data: str) -> None:
        if not stack:
            return
        children = stack[-1].children
        if children and isinstance(children[-1], str):
            children[-1] += data
        else:
            children.append(data)

    parser.EntityDeclHandler = refuse_entity
    parser.UnparsedEntityDeclHandler = refuse_entity
    parser.ExternalEntityRefHandler = refuse_external
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        message = expat.errors.messages.get(exc.code, "not well-formed")
        hint = ""
        if exc.code == expat.errors.codes[expat.errors.XML_ERROR_UNDEFINED_ENTITY]:
            hint = " (XML knows only &amp; &lt; &gt; &quot; &apos;; write &#160; for a no-break"
            hint += " space)"
        raise CaptionError(f"this is not well-formed XML: {message}{hint}", exc.lineno) from None
    if not roots:
        raise CaptionError("this is not well-formed XML: no element found")
    return roots[0]
