"""Writing a book's PDF sheet by sheet, so that memory holds one sheet, not the book.

qpdf (pikepdf) keeps every object of the PDF it writes in memory until it is saved:
for a fiscal year's book some 145,000 objects and their streams, about 400 MB. This
writer instead copies each sheet's pages, with every object they use, into the book's
file as it goes: objects are renumbered (QPDF's own ``unparse``, references rewritten)
and written at once, and only their offsets and the pages' numbers are kept. Each page
gets the book's stamp (footer and page number) as pikepdf's ``add_overlay`` would lay
it. Then the page tree, the outline and the catalogue, which refer to the pages by number.

Streams are copied as they are (their compressed bytes and filters): nothing is decoded
or re-encoded, so the text layer is byte for byte the sheets'.
"""

import re
import zlib
from pathlib import Path

import pikepdf

# What a page inherits from the page tree if it does not say it itself (PDF 32000, 7.7.3.4).
INHERITED = ("/Resources", "/MediaBox", "/CropBox", "/Rotate")


class BookWriter:
    """A PDF written object by object: ``add_pages`` for each part, then ``close``."""

    def __init__(self, path: Path):
        self.file = path.open("wb")
        self.file.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
        self.offsets = {}  # object number -> byte offset
        self.next_number = 1
        self.pages_number = self.reserve()
        self.page_numbers = []  # the object number of each page, in order
        self._save_state = self._draw_stamp = None

    def reserve(self) -> int:
        number, self.next_number = self.next_number, self.next_number + 1
        return number

    def copier(self, pdf: pikepdf.Pdf):
        """``(ref, flush)`` for copying objects of ``pdf``: ``ref((number, generation))`` is
        the book's reference to that object (numbered on first use); ``flush()`` writes every
        object referred to and not yet written, and those they refer to."""
        numbers, pending = {}, []

        def ref(objgen) -> bytes:
            if objgen not in numbers:
                numbers[objgen] = self.reserve()
                pending.append(objgen)
            return b"%d 0 R" % numbers[objgen]

        def flush() -> None:
            while pending:
                objgen = pending.pop()
                self.write_indirect(numbers[objgen], pdf.get_object(objgen), ref)

        return ref, flush, numbers

    def add_object(self, pdf: pikepdf.Pdf, item) -> int:
        """Copy ``item`` (an indirect object of ``pdf``) and all it uses: its number in the book."""
        ref, flush, numbers = self.copier(pdf)
        ref(item.objgen)
        flush()
        return numbers[item.objgen]

    def add_pages(self, path: Path, stamp=None) -> None:
        """Copy every page of the PDF at ``path``, and all it uses, to the end of the book.
        ``stamp(number)``, for the book's page ``number``, gives the number of a form
        XObject (``add_form``) drawn over the page, or None."""
        with pikepdf.open(path) as part:
            ref, flush, numbers = self.copier(part)
            # A page is referred to by its number in the book (links, annotations).
            book_numbers = []
            for page in part.pages:
                numbers[page.obj.objgen] = self.reserve()
                book_numbers.append(numbers[page.obj.objgen])
            for page, number in zip(part.pages, book_numbers, strict=True):
                page_dict = pikepdf.Dictionary(page.obj)  # a direct copy, its values as they are
                for key in INHERITED:
                    if key not in page_dict:
                        value = inherited(page.obj, key)
                        if value is not None:
                            page_dict[key] = value
                del page_dict["/Parent"]
                self.page_numbers.append(number)
                form = stamp(len(self.page_numbers)) if stamp else None
                if form is not None:
                    stamped(page_dict)
                body = renumbered(page_dict.unparse(), ref)
                if form is not None:
                    body = (
                        body.replace(STAMP_FORM, b"%d 0 R" % form)
                        .replace(SAVE_STATE, b"%d 0 R" % self.save_state())
                        .replace(DRAW_STAMP, b"%d 0 R" % self.draw_stamp())
                    )
                self.write_object(number, body[:-2] + b"/Parent %d 0 R >>" % self.pages_number)
                flush()

    def add_form(self, content: bytes, bbox, resources: int) -> int:
        """A form XObject drawing ``content`` with the book's object ``resources``: its number."""
        number = self.reserve()
        data = zlib.compress(content)
        box = pikepdf.Array(list(bbox)).unparse()
        self.offsets[number] = self.file.tell()
        self.file.write(
            b"%d 0 obj\n<< /Type /XObject /Subtype /Form /BBox %s /Resources %d 0 R "
            b"/Filter /FlateDecode /Length %d >>\nstream\n" % (number, box, resources, len(data))
        )
        self.file.write(data + b"\nendstream\nendobj\n")
        return number

    def _stream(self, content: bytes) -> int:
        number = self.reserve()
        self.offsets[number] = self.file.tell()
        self.file.write(
            b"%d 0 obj\n<< /Length %d >>\nstream\n%s\nendstream\nendobj\n" % (number, len(content), content)
        )
        return number

    def save_state(self) -> int:
        """The stream "q" put before each stamped page's own drawing (written once)."""
        if self._save_state is None:
            self._save_state = self._stream(b"q")
        return self._save_state

    def draw_stamp(self) -> int:
        """The stream that ends the page's own drawing and draws its stamp (written once)."""
        if self._draw_stamp is None:
            self._draw_stamp = self._stream(b"Q q /KPIStamp Do Q")
        return self._draw_stamp

    def write_indirect(self, number: int, item, ref) -> None:
        if isinstance(item, pikepdf.Stream):
            raw = item.read_raw_bytes()
            stream_dict = pikepdf.Dictionary(item.stream_dict)
            stream_dict.Length = len(raw)
            self.offsets[number] = self.file.tell()
            self.file.write(b"%d 0 obj\n" % number)
            self.file.write(renumbered(stream_dict.unparse(), ref))
            self.file.write(b"\nstream\n")
            self.file.write(raw)
            self.file.write(b"\nendstream\nendobj\n")
        else:
            self.write_object(number, renumbered(item.unparse(resolved=True), ref))

    def write_object(self, number: int, body: bytes) -> None:
        self.offsets[number] = self.file.tell()
        self.file.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))

    def close(self, outline, info: dict) -> None:
        """The page tree, the outline (``OutlineEntry`` roots, pages by index from 0),
        the document's information (title, author), the catalogue, and the cross-reference."""
        kids = b" ".join(b"%d 0 R" % number for number in self.page_numbers)
        self.write_object(
            self.pages_number, b"<< /Type /Pages /Count %d /Kids [%s] >>" % (len(self.page_numbers), kids)
        )
        catalog = b"<< /Type /Catalog /Pages %d 0 R" % self.pages_number
        if outline:
            catalog += b" /Outlines %d 0 R" % self.write_outline(outline)
        catalog += b" >>"
        catalog_number = self.reserve()
        self.write_object(catalog_number, catalog)
        info_number = self.reserve()
        self.write_object(
            info_number,
            b"<< "
            + b" ".join(
                pikepdf.Name(key).unparse() + b" " + pikepdf.String(value).unparse()
                for key, value in info.items()
            )
            + b" >>",
        )
        xref_at = self.file.tell()
        self.file.write(b"xref\n0 %d\n0000000000 65535 f \n" % self.next_number)
        for number in range(1, self.next_number):
            self.file.write(b"%010d 00000 n \n" % self.offsets[number])
        self.file.write(
            b"trailer\n<< /Size %d /Root %d 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n"
            % (self.next_number, catalog_number, info_number, xref_at)
        )
        self.file.close()

    def write_outline(self, roots) -> int:
        root_number = self.reserve()
        numbers = {id(entry): self.reserve() for entry in walk(roots)}

        def write_level(entries, parent: int) -> int:
            visible = 0
            for index, entry in enumerate(entries):
                parts = [
                    b"/Title " + pikepdf.String(entry.title).unparse(),
                    b"/Parent %d 0 R" % parent,
                    b"/Dest [%d 0 R /Fit]" % self.page_numbers[entry.page],
                ]
                if index > 0:
                    parts.append(b"/Prev %d 0 R" % numbers[id(entries[index - 1])])
                if index + 1 < len(entries):
                    parts.append(b"/Next %d 0 R" % numbers[id(entries[index + 1])])
                if entry.children:
                    count = write_level(entry.children, numbers[id(entry)])
                    parts += [
                        b"/First %d 0 R" % numbers[id(entry.children[0])],
                        b"/Last %d 0 R" % numbers[id(entry.children[-1])],
                        b"/Count %d" % count,
                    ]
                    visible += count
                self.write_object(numbers[id(entry)], b"<< " + b" ".join(parts) + b" >>")
                visible += 1
            return visible

        count = write_level(roots, root_number)
        self.write_object(
            root_number,
            b"<< /Type /Outlines /First %d 0 R /Last %d 0 R /Count %d >>"
            % (numbers[id(roots[0])], numbers[id(roots[-1])], count),
        )
        return root_number


class OutlineEntry:
    def __init__(self, title: str, page: int):
        self.title, self.page, self.children = title, page, []


def walk(entries):
    for entry in entries:
        yield entry
        yield from walk(entry.children)


def inherited(page, key):
    node = page.get("/Parent")
    while node is not None:
        if key in node:
            return node[key]
        node = node.get("/Parent")
    return None


# Placeholders in a stamped page's dictionary for objects of the book, not of its part.
STAMP_FORM, SAVE_STATE, DRAW_STAMP = b"/KPIStampForm", b"/KPISaveState", b"/KPIDrawStamp"


def stamped(page_dict: pikepdf.Dictionary) -> None:
    """``page_dict`` (a direct copy) made to draw the form /KPIStamp over the page, as
    pikepdf's ``add_overlay`` does: its own drawing inside q ... Q (what it leaves of the
    graphics state must not move the stamp), then the form. The book's objects are
    placeholders until the dictionary is written (``add_pages``)."""
    resources = pikepdf.Dictionary(page_dict.get("/Resources", pikepdf.Dictionary()))
    xobjects = pikepdf.Dictionary(resources.get("/XObject", pikepdf.Dictionary()))
    xobjects["/KPIStamp"] = pikepdf.Name(STAMP_FORM.decode())
    resources["/XObject"] = xobjects
    page_dict["/Resources"] = resources
    contents = page_dict.get("/Contents")
    own = list(contents) if isinstance(contents, pikepdf.Array) else ([] if contents is None else [contents])
    page_dict["/Contents"] = pikepdf.Array(
        [pikepdf.Name(SAVE_STATE.decode()), *own, pikepdf.Name(DRAW_STAMP.decode())]
    )


# A string (QPDF escapes the parentheses inside one) or an indirect reference "12 0 R".
STRING_OR_REFERENCE = re.compile(rb"\((?:\\.|[^\\)])*\)|(?<![^\s\[])(\d+) (\d+) R")


def renumbered(unparsed: bytes, ref) -> bytes:
    """A PDF value as QPDF writes it (``unparse``) with each reference to another object
    renumbered by ``ref`` (given the object's (number, generation)); strings are left as
    they are, whatever they contain."""

    def replace(match):
        if match.group(1) is None:
            return match.group(0)
        return ref((int(match.group(1)), int(match.group(2))))

    return STRING_OR_REFERENCE.sub(replace, unparsed)
