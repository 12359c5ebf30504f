"""fmt=2: XML, one element per line, no indentation and no XML declaration.

Parsed with lxml with entity resolution, DTD loading and network access off; a body with a
DOCTYPE is refused before parsing, so billion-laughs and XXE bodies fail fast. Written by hand
in the server's layout so the bytes match what the server sends. An error is
``<result><error>description</error><error_code>N</error_code></result>``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from datetime import tzinfo
from typing import Any

from lxml import etree

from ..errors import EmitError, ParseError, clip, lxml_message, position
from ..model import ApiError, Price
from ..spec import CallSpec, Form, ListBody, OneOrListBody, Place, RecordBody, RecordSpec
from ..values import ValueProblem, reader, writer
from . import fast
from .plan import MISSING, RecordPlan, build_sections, check_type, record_plan, write_value

fmt = 2

_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                          dtd_validation=False, huge_tree=False, remove_comments=True,
                          remove_pis=True)
_DECLARATION = re.compile(r"\A\s*<\?xml[^>]*\?>")
_DTD = re.compile(r"<!(?:DOCTYPE|ENTITY)")
_NOT_XML_CHAR = re.compile("[^\t\n\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_NOT_ATTRIBUTE_CHAR = re.compile("[^\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

Element = etree._Element


def strip_declaration(text: str) -> str:
    """The body without its XML declaration (the charset chain has already used it)."""
    return _DECLARATION.sub("", text, count=1)


def load(text: str, call: str) -> Element:
    """The root element of an XML body; any failure is a ParseError with line and column."""
    text = strip_declaration(text)
    dtd = _DTD.search(text)
    if dtd is not None:
        line, col = position(text, dtd.start())
        raise ParseError("DTDs and entity declarations are not allowed", call=call, fmt=fmt,
                         line=line, col=col)
    try:
        # bytes parse faster than str in lxml; the declaration is gone, so UTF-8 is assumed
        root = etree.fromstring(text.encode("utf-8", "surrogatepass"), _PARSER)
    except etree.XMLSyntaxError as exc:
        line, col = exc.position
        msg = lxml_message(exc.msg)  # lxml repeats the position; we give it once
        raise ParseError(f"malformed XML: {msg}", call=call, fmt=fmt, line=line,
                         col=col) from None
    except ValueError as exc:
        raise ParseError(f"malformed XML: {exc}", call=call, fmt=fmt, line=1, col=1) from None
    if root is None:
        raise ParseError("no root element", call=call, fmt=fmt, line=1, col=1)
    return root


def check_content(el: Element, call: str, path: str, container: bool = False) -> None:
    """Mixed content, text beside child elements, is a ParseError: it would be dropped.

    A ``container`` (a list's element, the price root) holds no text even without children.
    Whitespace between elements is layout. Comments and processing instructions are removed
    by the parser before this looks.
    """
    if not len(el) and not container:
        return
    text = el.text
    if text and not text.isspace():
        beside = "beside child elements" if len(el) else "where only elements belong"
        lead = text[:len(text) - len(text.lstrip())]
        line = None if el.sourceline is None else el.sourceline + lead.count("\n")
        raise ParseError(f"mixed content: text {clip(text.strip())} {beside} in "
                         f"<{el.tag!s}>", call=call, fmt=fmt, line=line, col=1, path=path)
    for child in el:
        check_tail(el, child, call, path)


def check_tail(parent: Element, child: Element, call: str, path: str) -> None:
    """The text after ``child`` inside ``parent`` is whitespace, or a mixed-content error."""
    tail = child.tail
    if tail and not tail.isspace():
        # the stray text's line: counted back from the next element, which follows it
        after = child.getnext()
        line = child.sourceline
        if after is not None and after.sourceline is not None:
            line = after.sourceline - tail.lstrip().count("\n")
        raise ParseError(f"mixed content: text {clip(tail.strip())} beside child "
                         f"elements in <{parent.tag!s}>", call=call, fmt=fmt, line=line,
                         col=1, path=path)


def record_items(el: Element, call: str, path: str) -> list[tuple[str, str, int | None]]:
    """A record element as its ordered items ``(wire key, raw text, line)``.

    Attributes come first as ``@name``, then the child elements by tag, then ``#text`` for a
    record without children. Mixed content, a child that holds elements, and a child tag
    that appears twice are each a ParseError with the line and ``$.path``: nothing is
    silently dropped or chosen. ``decode``, ``iter_parse`` and the wire view read records so.
    """
    line = el.sourceline
    items: list[tuple[str, str, int | None]] = [("@" + str(k), str(v), line)
                                                for k, v in el.attrib.items()]
    check_content(el, call, path)
    seen: set[str] = set()
    for child in el:
        tag = str(child.tag)
        where = f"{path}.{tag}"
        if tag in seen:
            raise ParseError(f"<{tag}> appears twice in <{el.tag!s}>", call=call, fmt=fmt,
                             line=child.sourceline, col=1, path=where)
        seen.add(tag)
        if len(child):
            check_content(child, call, where)
            raise ParseError(f"<{tag}> holds <{child[0].tag!s}>: a field is text only",
                             call=call, fmt=fmt, line=child[0].sourceline, col=1, path=where)
        items.append((tag, child.text or "", child.sourceline))
    if not len(el):
        items.append(("#text", el.text or "", line))
    return items


def _error_of(root: Element) -> ApiError | None:
    if root.tag != "result" or root.find("error_code") is None:
        return None
    code = root.findtext("error_code") or ""
    try:
        number = int(code)
    except ValueError:
        raise ParseError(f"error_code is not an integer: {clip(code)}", fmt=fmt,
                         line=root.find("error_code").sourceline, col=1) from None  # type: ignore[union-attr]
    return ApiError(number, root.findtext("error"))


def pull_records(pieces: Iterable[str], spec: CallSpec, tz: tzinfo) -> Iterator[Any]:
    """The records of a list body fed as text pieces (declaration stripped), in order.

    The one incremental XML reader: ``iter_parse`` streams with it, and ``decode`` re-reads a
    malformed list body with it, so both report the first fault in document order (a bad
    record before a syntax error) with the same message and position.
    """
    body = spec.body
    assert isinstance(body, ListBody)
    plan = record_plan(body.record, fmt, tz)
    read = fast.xml_reader(plan, tz)
    parser = etree.XMLPullParser(events=("start", "end"), resolve_entities=False,
                                 no_network=True, load_dtd=False, dtd_validation=False,
                                 huge_tree=False, remove_comments=True, remove_pis=True)
    depth = 0
    index = 0
    root: Any = None
    tail = ""
    line = 1
    for text in pieces:
        window = tail + text
        dtd = _DTD.search(window)
        if dtd is not None:
            at = line + window.count("\n", 0, dtd.start()) - tail.count("\n")
            raise ParseError("DTDs and entity declarations are not allowed", call=spec.name,
                             fmt=2, line=at, col=dtd.start() - window.rfind("\n", 0,
                                                                           dtd.start()))
        line += text.count("\n")
        tail = text[-16:]
        failed: etree.XMLSyntaxError | None = None
        try:
            parser.feed(text)
        except etree.XMLSyntaxError as exc:
            failed = exc  # the records before the fault come first, however text was cut
        for event, el in parser.read_events():
            if event == "start":
                depth += 1
                if root is None:
                    root = el
                    CODEC._root(root, body.xml_root, spec)
                continue
            depth -= 1
            if depth == 0:  # the root's end: its text and the last record's tail are known
                check_content(root, spec.name, "$", container=True)
                continue
            if depth != 1:
                continue
            # parse's order: the root's text, then per record: its tag, its items, its tail
            previous = el.getprevious()
            if previous is not None:
                check_tail(root, previous, spec.name, "$")
            if index == 0 and root.text and not root.text.isspace():
                check_content(root, spec.name, "$", container=True)
            if el.tag != body.record.xml_tag:
                raise ParseError(f"<{root.tag!s}> holds <{el.tag!s}>, expected only "
                                 f"<{body.record.xml_tag}> records", call=spec.name, fmt=2,
                                 line=el.sourceline, col=1, path="$")
            yield read(el) or CODEC._record(el, plan, spec, f"$[{index}]")
            index += 1
            el.clear(keep_tail=True)  # its tail is checked once the next record is read
            while el.getprevious() is not None:
                del root[0]
        if failed is not None:
            raise _pull_error(failed, spec) from None
    try:
        parser.close()
    except etree.XMLSyntaxError as exc:
        raise _pull_error(exc, spec) from None


def _pull_error(exc: etree.XMLSyntaxError, spec: CallSpec) -> ParseError:
    """A syntax error of the pull parser, worded as :func:`load` words it."""
    line, col = exc.position
    msg = lxml_message(exc.msg)
    return ParseError(f"malformed XML: {msg}", call=spec.name, fmt=2, line=line, col=col)


class XmlCodec:
    """Decode and encode fmt=2 bodies of any call."""

    fmt = fmt

    def match_error(self, text: str) -> ApiError | None:
        if "<error_code>" not in text:
            return None
        try:
            value = load(text, "")
        except ParseError:
            return None  # not this format at all; the asked format's codec will say why
        return _error_of(value)

    def decode(self, text: str, call: CallSpec, tz: tzinfo) -> Any:
        try:
            root = load(text, call.name)
        except ParseError as exc:
            body = call.body
            stripped = strip_declaration(text)
            if (exc.msg.startswith("malformed XML") and isinstance(body, ListBody)
                    and stripped.lstrip().startswith(f"<{body.xml_root}>")):
                # the first fault in document order, as iter_parse finds it
                for _ in pull_records([stripped], call, tz):
                    pass
            raise

        error = _error_of(root)
        if error is not None:
            return error
        body = call.body
        if isinstance(body, ListBody):
            self._root(root, body.xml_root, call)
            return self._items(root, body.record, call, tz, "$")
        if isinstance(body, RecordBody):
            self._root(root, body.record.xml_tag, call)
            return self._record(root, record_plan(body.record, fmt, tz), call, "$")
        if isinstance(body, OneOrListBody):
            if root.tag == body.one.xml_tag:
                return self._record(root, record_plan(body.one, fmt, tz), call, "$")
            self._root(root, body.xml_root, call)
            return self._items(root, body.many, call, tz, "$")
        self._root(root, body.xml_root, call)
        check_content(root, call.name, "$", container=True)
        seen: set[object] = set()
        for child in root:  # a second <zones> or <mail> would be silently dropped
            if child.tag in seen:
                raise ParseError(f"<{child.tag!s}> appears twice in <{root.tag!s}>",
                                 call=call.name, fmt=fmt, line=child.sourceline, col=1,
                                 path=f"$.{child.tag!s}")
            seen.add(child.tag)
        lists = []
        for section in body.sections:
            container = root.find(section.name)
            if container is None:
                lists.append(())
                continue
            lists.append(tuple(self._items(container, section.record, call, tz,
                                           f"$.{section.name}")))
        mail: Any = None
        element = root.find(body.tail.name)
        if element is not None and len(element):
            check_content(element, call.name, f"$.{body.tail.name}")
            raise ParseError(f"<{body.tail.name}> holds <{element[0].tag!s}>: a field is text "
                             "only", call=call.name, fmt=fmt, line=element[0].sourceline, col=1,
                             path=f"$.{body.tail.name}")
        if element is not None and element.text:
            mail = self._convert(reader(body.tail.kind, Form.VALUE, tz), element.text, call,
                                 element.sourceline, f"$.{body.tail.name}")
        return build_sections(body, lists, mail)

    def _root(self, root: Element, tag: str, call: CallSpec) -> None:
        if root.tag != tag:
            raise ParseError(f"root element is <{root.tag!s}>, expected <{tag}>", call=call.name,
                             fmt=fmt, line=root.sourceline, col=1)

    def _items(self, parent: Element, spec: RecordSpec, call: CallSpec, tz: tzinfo,
               path: str) -> list[Any]:
        """The records of a list element, checked in document order as ``iter_parse`` does."""
        plan = record_plan(spec, fmt, tz)
        if parent.text and not parent.text.isspace():
            check_content(parent, call.name, path, container=True)
        read = fast.xml_reader(plan, tz)  # the reference _record only where it declines
        out = []
        for i, el in enumerate(parent):
            if el.tag != spec.xml_tag:
                # Another call's records (or stray elements) in a list are never dropped.
                raise ParseError(f"<{parent.tag!s}> holds <{el.tag!s}>, expected only "
                                 f"<{spec.xml_tag}> records", call=call.name, fmt=fmt,
                                 line=el.sourceline, col=1, path=path)
            out.append(read(el) or self._record(el, plan, call, f"{path}[{i}]"))
            check_tail(parent, el, call.name, path)
        return out

    def _record(self, el: Element, plan: RecordPlan, call: CallSpec, path: str) -> Any:
        values: list[Any] = [MISSING] * len(plan.spec.fields)
        items = {key: (text, line) for key, text, line in record_items(el, call.name, path)}
        for sp in plan.slots:
            place = sp.slot.place
            key = ("@" + sp.slot.wire if place is Place.ATTRIBUTE
                   else sp.slot.wire if place is Place.CHILD else "#text")
            found = items.get(key)
            if found is None:
                if place is not Place.TEXT:
                    continue
                found = (el.text or "", el.sourceline)
            text, line = found
            if text == "" and sp.field.optional:
                continue
            if not sp.primary and values[sp.index] is not MISSING:
                continue
            values[sp.index] = self._convert(sp.read, text, call, line,
                                             f"{path}.{sp.slot.wire}")

        def where(msg: str) -> ParseError:
            return ParseError(msg, call=call.name, fmt=fmt, line=el.sourceline, col=1,
                              path=path)

        return plan.build(values, where)

    def _convert(self, read: Callable[[str], Any], text: str, call: CallSpec,
                 line: int | None, path: str) -> Any:
        try:
            return read(text)
        except ValueProblem as exc:
            raise ParseError(str(exc), call=call.name, fmt=fmt, line=line, col=1,
                             path=path) from None

    # -- encoding ------------------------------------------------------------------------

    def write_error(self, error: ApiError) -> str:
        lines = ["<result>"]
        if error.description is not None:
            lines.append(f"<error>{_text(error.description, 'error')}</error>")
        lines += [f"<error_code>{error.code}</error_code>", "</result>"]
        return "\n".join(lines)

    def encode(self, reply: Any, call: CallSpec, tz: tzinfo) -> str:
        body = call.body
        if isinstance(body, ListBody):
            return self._list(reply, body.xml_root, record_plan(body.record, fmt, tz))
        if isinstance(body, RecordBody):
            return self._element(reply, record_plan(body.record, fmt, tz))
        if isinstance(body, OneOrListBody):
            if isinstance(reply, list):
                return self._list(reply, body.xml_root, record_plan(body.many, fmt, tz))
            return self._element(reply, record_plan(body.one, fmt, tz))
        if not isinstance(reply, Price):
            raise EmitError(f"expected a Price, got {type(reply).__name__}")
        lines = [f"<{body.xml_root}>"]
        for section in body.sections:
            lines.append(self._list(getattr(reply, section.name), section.name,
                                    record_plan(section.record, fmt, tz)))
        if reply.mail is not None:
            mail = write_value(writer(body.tail.kind, Form.VALUE, tz), reply.mail, body.tail.name)
            lines.append(f"<{body.tail.name}>{_text(mail, body.tail.name)}</{body.tail.name}>")
        lines.append(f"</{body.xml_root}>")
        return "\n".join(lines)

    def _list(self, records: Any, tag: str, plan: RecordPlan) -> str:
        if not isinstance(records, list | tuple):
            raise EmitError(f"expected a list of {plan.spec.name}, "
                            f"got {type(records).__name__}")
        write = fast.xml_writer(plan)  # the reference _element only where it declines
        return "\n".join([f"<{tag}>", *[write(r) or self._element(r, plan) for r in records],
                          f"</{tag}>"])

    def _element(self, record: Any, plan: RecordPlan) -> str:
        check_type(record, plan.spec)
        tag = plan.spec.xml_tag
        attrs, children, text = [], [], ""
        for sp in plan.slots:
            value = getattr(record, sp.field.name)
            name = f"{plan.spec.name}.{sp.field.name}"
            if value is None:
                if not sp.field.optional:
                    raise EmitError(f"{name} is None")
                continue
            raw = write_value(sp.write, value, name)
            if sp.slot.place is Place.ATTRIBUTE:
                attrs.append(f' {sp.slot.wire}="{_attribute(raw, name)}"')
            elif sp.slot.place is Place.TEXT:
                text = _text(raw, name)
            else:
                children.append(f"<{sp.slot.wire}>{_text(raw, name)}</{sp.slot.wire}>")
        if children:
            return "\n".join([f"<{tag}{''.join(attrs)}>", *children, f"</{tag}>"])
        return f"<{tag}{''.join(attrs)}>{text}</{tag}>"



def _text(value: str, name: str) -> str:
    bad = _NOT_XML_CHAR.search(value)
    if bad is not None:
        raise EmitError(f"{name}: character U+{ord(bad.group()):04X} cannot be carried by XML "
                        f"text unchanged")
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(value: str, name: str) -> str:
    bad = _NOT_ATTRIBUTE_CHAR.search(value)
    if bad is not None:
        raise EmitError(f"{name}: character U+{ord(bad.group()):04X} cannot be carried by an "
                        f"XML attribute unchanged")
    return _text(value, name).replace('"', "&quot;")


CODEC = XmlCodec()
"""The fmt=2 codec."""
