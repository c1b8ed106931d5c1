"""SVG text drawn as one run of text, not letter by letter.

WeasyPrint 70 lays out and draws each letter of an SVG ``<text>`` on its own, so
that each may have its own x, y, dx, dy or rotation. That costs a Pango layout per
letter (a sheet's chart has some 70 letters: about a twentieth of its print), and a
letter laid out alone is not shaped with its neighbours: a Thai vowel or tone mark is
drawn apart from its consonant, and the PDF's text reads letter by letter.

A text with no per-letter position (at most one x, y, dx and dy; no rotate,
letter-spacing or textLength), as every text of our charts, is laid out once and drawn
as one run here, as browsers draw it; any other goes to WeasyPrint's own code.
WeasyPrint has no hook for this: ``install()`` puts ``text`` in its table of SVG tags
(and in the name its drawing code compares with).
"""

from math import inf

import weasyprint.draw.text
import weasyprint.svg
from weasyprint.css.properties import INITIAL_VALUES
from weasyprint.draw.text import draw_emojis
from weasyprint.matrix import Matrix
from weasyprint.svg.bounding_box import extend_bounding_box
from weasyprint.svg.text import Style, TextBox
from weasyprint.svg.utils import normalize, size
from weasyprint.text.line_break import split_first_line

# WeasyPrint's own (svg/__init__.py imports it over the name of its module svg.text).
_letter_by_letter = weasyprint.svg.TAGS["text"]
PER_LETTER = ("rotate", "letter-spacing", "textLength")


def _values(node, name) -> list[str]:
    value = node.attrib.get(name)
    return normalize(value).strip().split(" ") if value else []


def _style(svg, node, font_size) -> Style:
    """The text's style, as WeasyPrint's SVG text makes it (svg/text.py)."""
    style = Style()
    style.update(INITIAL_VALUES)
    style.font_config = svg.font_config
    style["font_family"] = [font.strip("\"'") for font in node.get("font-family", "sans-serif").split(",")]
    style["font_style"] = node.get("font-style", "normal")
    style["font_size"] = font_size
    if node.get("direction") in ("ltr", "rtl"):
        style["direction"] = node.get("direction")
    weight = node.get("font-weight", 400)
    try:
        style["font_weight"] = {"normal": 400, "bold": 700}.get(weight) or int(weight)
    except ValueError:
        style["font_weight"] = 400
    return style


def _y_align(node, height: float, font_size: float) -> float:
    """WeasyPrint's vertical alignment of a text (svg/text.py), unchanged."""
    ascent, descent = font_size * 0.8, font_size * 0.2
    display_anchor = node.get("display-anchor")
    baseline = node.get("dominant-baseline", node.get("alignment-baseline"))
    if display_anchor == "middle":
        return -height / 2
    if display_anchor == "top":
        return 0
    if display_anchor == "bottom":
        return -height
    if baseline in ("central", "middle"):
        return (ascent + descent) / 2 - descent
    if baseline in ("text-before-edge", "before_edge", "top", "hanging", "text-top"):
        return ascent
    if baseline in ("text-after-edge", "after_edge", "bottom", "text-bottom"):
        return -descent
    return 0


def text(svg, node, font_size):
    """Draw a text node: in one run when no letter has a position of its own."""
    positions = {name: _values(node, name) for name in ("x", "y", "dx", "dy")}
    if (
        not node.text
        or any(len(values) > 1 for values in positions.values())
        or any(node.get(name) for name in PER_LETTER)
    ):
        return _letter_by_letter(svg, node, font_size)
    style = _style(svg, node, font_size)
    layout, _length, resume_index, width, height, baseline = split_first_line(
        node.text, style, svg.context, inf, 0
    )
    if resume_index is not None:
        return _letter_by_letter(svg, node, font_size)  # more than one line: not ours to draw

    x = size(positions["x"][0], font_size, svg.inner_width) if positions["x"] else None
    y = size(positions["y"][0], font_size, svg.inner_height) if positions["y"] else None
    dx = size(positions["dx"][0], font_size, svg.inner_width) if positions["dx"] else 0
    dy = size(positions["dy"][0], font_size, svg.inner_height) if positions["dy"] else 0
    # What WeasyPrint does for the first letter, then for the others (without a
    # position of their own, they only move the cursor by their width).
    if x:
        svg.cursor_d_position[0] = 0
    if y:
        svg.cursor_d_position[1] = 0
    svg.cursor_d_position[0] += dx
    svg.cursor_d_position[1] += dy
    x = svg.cursor_position[0] if x is None else x
    y = svg.cursor_position[1] if y is None else y
    svg.cursor_position = x + width, y
    x_position = x + svg.cursor_d_position[0]
    y_position = y + svg.cursor_d_position[1] + _y_align(node, height, font_size)
    points = ((x_position, y_position - baseline), (x_position + width, y_position - baseline + height))
    node.text_bounding_box = extend_bounding_box(node.text_bounding_box, points)

    svg.stream.push_state()
    fill, stroke = svg.set_graphical_state(node, font_size)
    svg.stream.begin_text()
    layout.reactivate(style)
    svg.fill_stroke(fill, stroke, text=True)
    text_box = TextBox(layout, style)
    text_box.baseline = baseline
    # The installed draw_first_line (glyph_runs.py's), looked up when drawn.
    emojis = weasyprint.draw.text.draw_first_line(
        svg.stream, text_box, "none", "none", Matrix(d=-1, e=x_position, f=y_position)
    )
    svg.stream.end_text()
    svg.stream.pop_state()
    draw_emojis(svg.stream, style, x, y, emojis)


def install():
    """Draw this process's SVG texts with ``text``. Idempotent."""
    for tag, function in weasyprint.svg.TAGS.items():
        if function is _letter_by_letter:
            weasyprint.svg.TAGS[tag] = text
    # draw_node asks "TAGS.get(node.tag) == text" of its module's own name.
    weasyprint.svg.text = text
