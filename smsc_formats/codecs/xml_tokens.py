"""The one tokenizer of fmt=2 (XML): the only code that knows the XML syntax rules.

Sans-I/O and incremental, as :mod:`.line_tokens` is: :meth:`XmlTokenizer.feed` takes decoded
text in pieces of any size, :meth:`~XmlTokenizer.events` gives what is complete so far (an
:class:`XmlRoot` once the root element is known, then :class:`XmlRecord` s in document
order), and :meth:`~XmlTokenizer.close` ends the body. The codec (``parse``), ``iter_parse``
and the wire view (``check``, ``drift``) all read fmt=2 through it, so they cannot disagree
about what a body holds or where it goes wrong.

It knows no call names: a :class:`Shape`, made from the spec (:func:`shape`), says which root
tags hold a list of records, which record tags to watch and which elements of a record root
are nested lists (a sectioned body's ``zones``). Rules:

* **Security.** lxml with entity resolution, DTD loading and network access off; a DOCTYPE or
  ENTITY declaration is refused before lxml sees it (billion laughs, XXE).
* **Declaration.** An XML declaration at the very start is blanked (the charset chain has
  already used it); lines and columns after it stay where they were.
* **Lists.** A root whose tag the shape names as a list holds only elements: text before,
  between or after its records is "mixed content". Each child element is a record (its tag
  is reported; the codec refuses another call's records). Records come out as they end, so
  a stream holds one record at a time.
* **Records.** Attributes (``@name``) first, then the child elements by tag, then ``#text``
  for a record without children. Text beside child elements, a child tag that appears twice,
  and a child that holds elements ("a field is text only") are each a ParseError with line
  and ``$.path``: nothing is silently dropped or chosen. In ``lenient`` mode (the wire view)
  a child that holds elements is a nested record or list instead, so drift can be shown.
* **Errors** come in document order, after the records before them, whatever the chunking.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from lxml import etree

from ..errors import ParseError, clip, lxml_message
from ..spec import CallSpec, ListBody, OneOrListBody, RecordBody
from .tokens import Token

fmt = 2

_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")
_DTD = re.compile(r"<!(?:DOCTYPE|ENTITY)")
_DTD_BYTES = re.compile(_DTD.pattern.encode())
_DTD_OVERLAP = 9
"""Characters kept from one piece to find a declaration cut by the next (``<!DOCTYPE`` - 1)."""

_NOTHING = "{urn:smsc-formats:none}none"
"""A tag filter that matches no element: a root that is no list is read whole at close."""

Element = etree._Element

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          dtd_validation=False, huge_tree=False, remove_comments=True,
                          remove_pis=True)
"""The whole-body parser: the pull parser's settings."""


@dataclass(frozen=True, slots=True)
class Shape:
    """What the spec says about a call's fmt=2 bodies, without naming the call."""

    lists: Mapping[str, str]
    """Root tags that hold a list, to the tag of their records."""
    sections: frozenset[str] = frozenset()
    """Children of a record root that are lists of records (``zones``, ``codes``)."""


@cache
def shape(spec: CallSpec) -> Shape:
    """The :class:`Shape` of a call's data bodies (error bodies are records)."""
    body = spec.body
    if isinstance(body, ListBody):
        return Shape({body.xml_root: body.record.xml_tag})
    if isinstance(body, OneOrListBody):
        return Shape({body.xml_root: body.many.xml_tag})
    if isinstance(body, RecordBody):
        return Shape({})
    return Shape({}, frozenset(s.name for s in body.sections))


@dataclass(frozen=True, slots=True)
class XmlRoot:
    """The root element's tag and line, known before any record."""

    tag: str
    line: int



def strip_declaration(text: str) -> str:
    """The body without its XML declaration (the charset chain has already used it)."""
    return _DECLARATION.sub("", text, count=1)

class XmlRecord:
    """One record as written: its group (``$[]``, ``$``, ``$.zones[]``), its path (``$[3]``),
    its element's tag and line, and its items.

    ``fields`` (child tag to text, for a record whose children are all plain text fields) and
    ``attrib`` and ``text`` are what the generated converters (``fast.xml_reader``) read;
    :meth:`tokens` gives the ordered items. Both are valid until the next record is taken.
    """

    __slots__ = ("element", "fields", "group", "nested", "path")

    def __init__(self, group: str, path: str, element: Element,
                 fields: dict[Any, str] | None, nested: frozenset[str] = frozenset()) -> None:
        self.group = group
        self.path = path
        self.element = element
        self.fields = fields
        self.nested = nested

    # read from the element when asked: most records are only converted from ``fields``

    @property
    def tag(self) -> str:
        return str(self.element.tag)

    @property
    def line(self) -> int:
        return self.element.sourceline or 1

    @property
    def attrib(self) -> Any:
        return self.element.attrib

    @property
    def text(self) -> str:
        return self.element.text or ""

    def tokens(self) -> list[Token]:
        """The items in order: ``@attribute``, child elements (raw None where a child holds
        elements: its own records follow), ``#text`` for a record without children."""
        el = self.element
        line = self.line
        out = [Token("@" + str(k), str(v), line, 1) for k, v in el.attrib.items()]
        for child in el:
            tag = str(child.tag)
            out.append(Token(tag, None if tag in self.nested or _holds(child)
                             else child.text or "", child.sourceline or line, 1))
        if not len(el):
            out.append(Token("#text", el.text or "", line, 1))
        return out


def _holds(child: Element) -> bool:
    """Whether a record's child is a nested record or list rather than a text field."""
    return len(child) > 0


def _error(msg: str, line: int | None, path: str | None = None) -> ParseError:
    return ParseError(msg, fmt=fmt, line=line, col=1, path=path)


def _syntax(exc: etree.XMLSyntaxError) -> ParseError:
    line, col = exc.position
    return ParseError(f"malformed XML: {lxml_message(exc.msg)}", fmt=fmt, line=line or 1,
                      col=col or 1)


def check_content(el: Element, path: str, container: bool = False) -> None:
    """Mixed content, text beside child elements, is a ParseError: it would be dropped.

    A ``container`` (a list's element, the price root) holds no text even without children.
    Whitespace between elements is layout. Comments and processing instructions are removed
    by the parser before this looks.
    """
    if not len(el) and not container:
        return
    _check_text(el, path)
    for child in el:
        check_tail(el, child, path)


def _check_text(el: Element, path: str) -> None:
    text = el.text
    if text and not text.isspace():
        beside = "beside child elements" if len(el) else "where only elements belong"
        lead = text[:len(text) - len(text.lstrip())]
        line = None if el.sourceline is None else el.sourceline + lead.count("\n")
        raise _error(f"mixed content: text {clip(text.strip())} {beside} in <{el.tag!s}>",
                     line, path)


def check_tail(parent: Element, child: Element, path: str) -> None:
    """The text after ``child`` inside ``parent`` is whitespace, or a mixed-content error."""
    tail = child.tail
    if tail and not tail.isspace():
        # the stray text's line: counted back from the next element, which follows it
        after = child.getnext()
        line = child.sourceline
        if after is not None and after.sourceline is not None:
            line = after.sourceline - tail.lstrip().count("\n")
        raise _error(f"mixed content: text {clip(tail.strip())} beside child elements in "
                     f"<{parent.tag!s}>", line, path)


def _fields(el: Element) -> dict[Any, str] | None:
    """Child tag to text when every child is a plain text field (the common case), else None."""
    d = {c.tag: c.text or "" for c in el if not len(c) and (c.tail or " ").isspace()}
    if len(d) != len(el) or (len(el) and not (el.text or " ").isspace()):
        return None
    return d


def _record(el: Element, group: str, path: str, lenient: bool,
            sections: frozenset[str] = frozenset()) -> Iterator[XmlRecord]:
    """One record element and the records nested in it; raises the first fault."""
    fields = _fields(el) if not sections else None
    if fields is not None:
        yield XmlRecord(group, path, el, fields)
        return
    if sections and not len(el):
        _check_text(el, path)  # the sections root is a container
    check_content(el, path)
    seen: set[str] = set()
    nested: list[Element] = []
    for child in el:
        tag = str(child.tag)
        where = f"{path}.{tag}"
        if tag in seen:
            raise _error(f"<{tag}> appears twice in <{el.tag!s}>", child.sourceline, where)
        seen.add(tag)
        if tag in sections:
            nested.append(child)
            continue
        if not _holds(child):
            continue
        if not lenient:
            check_content(child, where)
            raise _error(f"<{tag}> holds <{child[0].tag!s}>: a field is text only",
                         child[0].sourceline, where)
        nested.append(child)
    yield XmlRecord(group, path, el, None, sections)
    for child in nested:
        tag = str(child.tag)
        if tag in sections or _is_list(child):
            yield from _list(child, f"{group}.{tag}[]", f"{path}.{tag}", lenient)
        else:
            yield from _record(child, f"{group}.{tag}", f"{path}.{tag}", lenient)


def _is_list(el: Element) -> bool:
    """Lenient mode: a nested element whose children are records of one tag."""
    tags = {c.tag for c in el}
    return len(tags) == 1 and any(len(c) or c.attrib for c in el)


def _list(el: Element, group: str, path: str, lenient: bool) -> Iterator[XmlRecord]:
    """The records of a nested list element (a section), checked in document order."""
    _check_text(el, path)
    for i, child in enumerate(el):
        yield from _record(child, group, f"{path}[{i}]", lenient)
        check_tail(el, child, path)


class XmlTokenizer:
    """Feed decoded text of one fmt=2 body in pieces; take its root and records out.

    Lists are read as they arrive with an lxml pull parser that reports only the ends of
    the list's record elements (``tag=``), so no per-field Python event is made; each
    record element is cleared once taken. Any other root is read whole at :meth:`close`.
    """

    def __init__(self, shape: Shape, *, lenient: bool = False, free: bool = True) -> None:
        self.shape = shape
        self.lenient = lenient
        self.free = free
        """Whether a record given out is freed when the next one is taken (streaming)."""
        tags = sorted({*shape.lists, *shape.lists.values()})
        self._parser = etree.XMLPullParser(
            # "internal", not False: with False lxml's push parser loses the place and the
            # words of an undefined entity ("no element found" at 1:1). Nothing can be
            # defined anyway: a DTD is refused before lxml sees it, and no network is used.
            events=("start", "end"), tag=tags or _NOTHING, resolve_entities="internal",
            no_network=True, load_dtd=False, dtd_validation=False, huge_tree=False,
            remove_comments=True, remove_pis=True)
        self._ready: deque[XmlRoot | XmlRecord | ParseError] = deque()
        self._head = ""  # text held back until the declaration is decided
        self._started = False
        self._window = ""  # the end of the text fed so far, to find a cut <!DOCTYPE
        self._line, self._col = 1, 1  # where self._window begins
        self._root: Element | None = None
        self._list: str | None = None  # the record tag when the root is a list
        self._pending: Element | None = None  # the last record queued
        self._used: Element | None = None  # the last record given out, freed at the next
        self._index = 0
        self._failed = False
        self._closed = False

    # -- input ------------------------------------------------------------------------------

    def feed(self, text: str) -> None:
        """Take the next piece of decoded text."""
        if self._failed or not text:
            return
        if not self._started:
            self._head += text
            stripped = self._head.lstrip()
            if stripped.startswith("<?xml") and "?>" not in stripped:
                return
            if len(stripped) < 5 and "<?xml".startswith(stripped):
                return
            text = self._declaration(self._head)
            self._started = True
            self._head = ""
        self._text(text)

    def close(self) -> None:
        """End the body: the last records, or the first fault, become available."""
        if self._closed:
            return
        self._closed = True
        if not self._started:
            self._started = True
            self._text(self._declaration(self._head))
        if self._failed:
            return
        try:
            root = self._parser.close()
        except etree.XMLSyntaxError as exc:
            self._fail(_syntax(exc))
            return
        except ValueError as exc:  # lxml refuses some inputs outright
            self._fail(_error(f"malformed XML: {exc}", 1))
            return
        if root is None:
            self._fail(_error("no root element", 1))
            return
        self._ready.extend(self._finish(root))

    def _finish(self, root: Element) -> Iterator[XmlRoot | XmlRecord | ParseError]:
        """What is left once the whole tree is known: the rest of a list, or the records of
        any other root; the first fault ends it."""
        try:
            if self._list is not None:
                yield from self._walk(None)
                self._end()
            elif self.lenient and not self.shape.sections and _is_list(root):
                # the wire view of a list under another root (drift): still a list
                yield XmlRoot(str(root.tag), root.sourceline or 1)
                yield from _list(root, "$[]", "$", True)
            else:
                yield XmlRoot(str(root.tag), root.sourceline or 1)
                yield from _record(root, "$", "$", self.lenient, self.shape.sections)
        except ParseError as exc:
            self._failed = True
            yield exc

    def whole(self, text: str) -> Iterator[XmlRoot | XmlRecord]:
        """The events of a whole body, exactly as :meth:`feed` and :meth:`close` give them.

        The tree is built by ``lxml.etree.fromstring``, faster than the pull parser; the
        records are then taken by the same rule code. A body lxml refuses is fed to the pull
        parser instead, so the records before the fault and the fault itself are exactly
        those of any chunking.
        """
        text = self._declaration(text)
        self._started = True
        if self._dtd(text) is None:
            try:
                root = etree.fromstring(text.encode("utf-8", "surrogatepass"), _PARSER)
            except (etree.XMLSyntaxError, ValueError):
                root = None
            if root is not None:
                yield from self._tree(root)
                return
        self._text(text)
        self.close()
        yield from self.events()

    def whole_utf8(self, body: bytes, root_tag: str) -> Iterator[XmlRoot | XmlRecord] | None:
        """:meth:`whole` of ``body.decode()`` without the text, for a body in the server's
        layout: UTF-8 that begins with ``<root_tag>`` (no BOM, declaration or DTD). None
        where it is not, or lxml refuses it: then the charset chain and :meth:`whole`
        decide, as for any body. lxml is as strict as Python's UTF-8 decoder (overlong
        forms, surrogates and bytes past U+10FFFF are refused) and reads these bytes as
        :meth:`whole` would read their text, which it encodes back to the same bytes."""
        if not body.startswith(f"<{root_tag}>".encode()) or _DTD_BYTES.search(body):
            return None
        try:
            root = etree.fromstring(body, _PARSER)
        except (etree.XMLSyntaxError, ValueError):
            return None
        self._started = True
        return self._tree(root)

    def _tree(self, root: Element) -> Iterator[XmlRoot | XmlRecord]:
        """:meth:`whole`'s events once lxml has built the tree."""
        self._root = root
        tag = str(root.tag)
        self._list = self.shape.lists.get(tag)
        if self._list is not None:
            self._ready.append(XmlRoot(tag, root.sourceline or 1))
            yield from self.events()
            try:  # _finish's list case, its fault raised rather than queued
                yield from self._walk(None)
                self._end()
            except ParseError:
                self._failed = True
                raise
            return
        for item in self._finish(root):
            if isinstance(item, ParseError):
                raise item
            yield item

    def events(self) -> Iterator[XmlRoot | XmlRecord]:
        """What is complete so far, in document order; raises the first fault when reached."""
        ready = self._ready
        while ready:
            item = ready.popleft()
            if isinstance(item, ParseError):
                ready.clear()
                raise item
            if self.free and isinstance(item, XmlRecord) and item.group == "$[]":
                if self._used is not None:
                    self._done(self._used)
                self._used = item.element
            yield item

    # -- internals ----------------------------------------------------------------------------

    @staticmethod
    def _declaration(text: str) -> str:
        found = _DECLARATION.match(text)
        if found is None:
            return text
        return re.sub(r"[^\n]", " ", found.group()) + text[found.end():]

    def _dtd(self, text: str) -> tuple[int, ParseError] | None:
        """A DOCTYPE or ENTITY declaration in ``text`` (or cut by the last piece), located,
        with its offset in ``text`` (negative: it began in the last piece)."""
        window = self._window + text
        dtd = _DTD.search(window)
        if dtd is None:
            return None
        start = dtd.start()
        newlines = window.count("\n", 0, start)
        col = start - window.rfind("\n", 0, start) if newlines else self._col + start
        return start - len(self._window), ParseError(
            "DTDs and entity declarations are not allowed", fmt=fmt,
            line=self._line + newlines, col=col)

    def _text(self, text: str) -> None:
        found = self._dtd(text)
        if found is not None:
            at, fault = found
            self._lxml(text[:max(at, 0)])  # the records before it come first
            self._fail(fault)
            return
        window = self._window + text
        keep = len(window) - _DTD_OVERLAP
        if keep > 0:
            dropped = window[:keep]
            newlines = dropped.count("\n")
            if newlines:
                self._line += newlines
                self._col = keep - dropped.rfind("\n")
            else:
                self._col += keep
            window = window[keep:]
        self._window = window
        self._lxml(text)

    def _lxml(self, text: str) -> None:
        """Feed the pull parser and take what it completed (or its fault, after those)."""
        try:
            self._parser.feed(text.encode("utf-8", "surrogatepass"))
        except etree.XMLSyntaxError as exc:
            self._read()  # the records before the fault come first
            self._fail(_syntax(exc))
            return
        except ValueError as exc:
            self._fail(_error(f"malformed XML: {exc}", 1))
            return
        self._read()

    def _fail(self, exc: ParseError) -> None:
        if not self._failed:
            self._failed = True
            self._ready.append(exc)

    def _read(self) -> None:
        if self._failed:
            return
        try:
            for event, el in self._parser.read_events():
                if event == "start":
                    if self._root is None:
                        self._root = el
                        tag = str(el.tag)
                        self._list = self.shape.lists.get(tag)
                        if self._list is not None:
                            self._ready.append(XmlRoot(tag, el.sourceline or 1))
                    continue
                if self._list is None or el.getparent() is not self._root:
                    continue
                self._ready.extend(self._walk(el))
        except ParseError as exc:
            self._fail(exc)

    def _walk(self, upto: Element | None) -> Iterator[XmlRecord]:
        """The list's records up to ``upto`` (stray elements before it included), each after
        the check of the text before it."""
        root = self._root
        assert root is not None
        previous = self._pending
        if previous is None:
            if root.text and not root.text.isspace():
                check_content(root, "$", container=True)
            children = iter(root)
        else:
            children = previous.itersiblings()
        index = self._index
        lenient = self.lenient
        try:
            for child in children:
                if previous is not None:
                    tail = previous.tail
                    if tail and not tail.isspace():
                        check_tail(root, previous, "$")
                # the common case inline: every child a text field (see _fields)
                fields = {c.tag: c.text or "" for c in child
                          if not len(c) and (c.tail or " ").isspace()}
                if len(fields) == len(child) and (not fields or (child.text or " ").isspace()):
                    yield XmlRecord("$[]", f"$[{index}]", child, fields)
                else:
                    yield from _record(child, "$[]", f"$[{index}]", lenient)
                index += 1
                previous = child
                if child is upto:
                    break
        finally:  # where the next walk goes on, however this one ended
            self._index = index
            self._pending = previous

    def _end(self) -> None:
        """The root has ended: its text (no records) and the last record's tail are known."""
        root = self._root
        assert root is not None
        pending = self._pending
        if pending is None:
            check_content(root, "$", container=True)
        else:
            check_tail(root, pending, "$")

    def _done(self, el: Element) -> None:
        """A record given out has been read: free it and what is before it."""
        el.clear(keep_tail=True)  # its tail is checked once the next record is read
        root = self._root
        assert root is not None
        while el.getprevious() is not None:
            del root[0]


def tokenize(text: str, shape: Shape, *, lenient: bool = False) -> list[XmlRoot | XmlRecord]:
    """A whole body's root and records, all kept readable (the codec streams them instead)."""
    return list(XmlTokenizer(shape, lenient=lenient, free=False).whole(text))


__all__ = ["Shape", "XmlRecord", "XmlRoot", "XmlTokenizer", "check_content", "check_tail",
           "shape", "tokenize"]
