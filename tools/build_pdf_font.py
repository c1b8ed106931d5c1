"""Build the "Sarabun KPI" fonts used for PDF output.

Why
---
PDF reports are rendered by WeasyPrint. When WeasyPrint writes a PDF it maps
every glyph id to one piece of text (the font's ToUnicode CMap), and it does
so on a first-come basis (weasyprint/draw/text.py):

* Each glyph gets the UTF-8 text from the start of its own cluster to the
  start of the next glyph's cluster. When several glyphs share a cluster,
  all but the last one get the empty string and the last one gets the text
  of the whole cluster.
* A glyph id keeps the first text it was given for the whole document.

HarfBuzz's Thai shaper decomposes SARA AM (U+0E33) into NIKHAHIT (U+0E4D) and
SARA AA (U+0E32), in one cluster. NIKHAHIT then maps to "" and SARA AA maps to
"ำ" or, more often, to "า" because a plain SARA AA was seen first.  The PDF
text layer then says "ความสาเร็จ" instead of "ความสำเร็จ" (upstream issue
Kozea/WeasyPrint#2841). With a tone mark ("น้ำ") HarfBuzz moves NIKHAHIT
before the tone mark and merges the tone mark into the same cluster; Sarabun
then ligates NIKHAHIT + tone mark, so the cluster is drawn as
[NIKHAHIT+tone ligature, SARA AA] and the tone mark is lost from the text
too ("นำ").

How
---
We give the SARA AA glyph that comes from a SARA AM its own glyph id, so that
WeasyPrint can map it to the right text:

* "uni0E32.am" - a copy of "uni0E32", used after NIKHAHIT (plain or narrow
  form). Its cluster text is "ำ".
* "uni0E32.am0E48" .. "uni0E32.am0E4B" - copies used after the NIKHAHIT +
  tone mark ligatures (plain or narrow form). Their cluster text is the tone
  mark followed by "ำ", e.g. "้ำ".

A chained contextual substitution lookup, with one single substitution lookup
per copy, is added at the end of the GSUB lookup list and to the "ccmp"
feature(s) used by the "thai" script (default language system and any other
language systems), so it runs after Sarabun's own decomposition, ligature and
narrow-form lookups. The copies have the same outline and advance width, so
the drawing does not change.

The derived font is renamed "Sarabun KPI" (SIL OFL 1.1; Sarabun declares no
Reserved Font Name, but renaming modified versions is good practice). The
copyright and licence name records are kept and the modification is noted in
the version and description records. The source timestamps are kept so that
the output is byte-for-byte reproducible.

Usage (from the repository root, no arguments)::

    python tools/build_pdf_font.py

Input: fonts/src/Sarabun-{Regular,Bold}.ttf
Output: static/fonts/SarabunKPI-{Regular,Bold}.ttf
"""

import copy
from pathlib import Path

from fontTools.ttLib import TTFont
from fontTools.ttLib.tables import otTables

ROOT = Path(__file__).resolve().parent.parent
SRC_DIR = ROOT / "fonts" / "src"
OUT_DIR = ROOT / "static" / "fonts"
STYLES = ("Regular", "Bold")

FAMILY = "Sarabun KPI"
PS_FAMILY = "SarabunKPI"
MODIFICATION_NOTE = (
    "Modified from Sarabun by tools/build_pdf_font.py: SARA AM (U+0E33) "
    "decomposition uses dedicated SARA AA glyphs so that PDF text extraction "
    "keeps SARA AM (WeasyPrint issue #2841)."
)

SARA_AA = "uni0E32"
NIKHAHIT_FORMS = ("uni0E4D", "uni0E4D.narrow")
TONE_MARKS = ("0E48", "0E49", "0E4A", "0E4B")


def clone_glyph(font, source, name):
    """Add glyph ``name`` to ``font`` as a copy of glyph ``source``."""
    glyph_order = font.getGlyphOrder()
    if name in glyph_order:
        raise ValueError(f"glyph {name!r} already exists")
    glyf = font["glyf"]
    new_glyph = copy.deepcopy(glyf[source])
    font.setGlyphOrder([*glyph_order, name])
    glyf.glyphOrder = font.getGlyphOrder()
    glyf[name] = new_glyph
    font["hmtx"][name] = font["hmtx"][source]
    if "vmtx" in font:
        font["vmtx"][name] = font["vmtx"][source]
    gdef = font["GDEF"].table if "GDEF" in font else None
    if gdef is not None and gdef.GlyphClassDef is not None:
        class_defs = gdef.GlyphClassDef.classDefs
        if source in class_defs:
            class_defs[name] = class_defs[source]


def coverage(glyphs):
    """Build a Coverage table for ``glyphs``."""
    table = otTables.Coverage()
    table.glyphs = list(glyphs)
    return table


def single_subst_lookup(mapping):
    """Build a GSUB single substitution lookup."""
    subtable = otTables.SingleSubst()
    subtable.Format = 1
    subtable.mapping = dict(mapping)
    lookup = otTables.Lookup()
    lookup.LookupType = 1
    lookup.LookupFlag = 0
    lookup.SubTable = [subtable]
    lookup.SubTableCount = 1
    return lookup


def chain_rule(backtrack, input_glyphs, lookup_index):
    """Build a format 3 chained context subtable: backtrack + one input."""
    subtable = otTables.ChainContextSubst()
    subtable.Format = 3
    subtable.BacktrackCoverage = [coverage(backtrack)]
    subtable.BacktrackGlyphCount = 1
    subtable.InputCoverage = [coverage(input_glyphs)]
    subtable.InputGlyphCount = 1
    subtable.LookAheadCoverage = []
    subtable.LookAheadGlyphCount = 0
    record = otTables.SubstLookupRecord()
    record.SequenceIndex = 0
    record.LookupListIndex = lookup_index
    subtable.SubstLookupRecord = [record]
    subtable.SubstCount = 1
    return subtable


def thai_ccmp_features(gsub):
    """Return the "ccmp" Feature tables used by the "thai" script."""
    feature_indices = set()
    for script_record in gsub.ScriptList.ScriptRecord:
        if script_record.ScriptTag != "thai":
            continue
        script = script_record.Script
        lang_systems = [record.LangSys for record in script.LangSysRecord]
        if script.DefaultLangSys is not None:
            lang_systems.append(script.DefaultLangSys)
        for lang_sys in lang_systems:
            feature_indices.update(lang_sys.FeatureIndex)
    records = gsub.FeatureList.FeatureRecord
    features = [
        records[index].Feature for index in sorted(feature_indices) if records[index].FeatureTag == "ccmp"
    ]
    if not features:
        raise ValueError("no 'ccmp' feature for the 'thai' script")
    return features


def add_sara_am_glyphs(font):
    """Add the SARA AA copies and the GSUB rules that select them."""
    glyph_names = set(font.getGlyphOrder())
    # (backtrack glyphs, name of the SARA AA copy drawn after them)
    contexts = [(list(NIKHAHIT_FORMS), f"{SARA_AA}.am")]
    for tone in TONE_MARKS:
        ligatures = [f"{form[:7]}{tone}{form[7:]}" for form in NIKHAHIT_FORMS]
        ligatures = [name for name in ligatures if name in glyph_names]
        if not ligatures:
            raise ValueError(f"no NIKHAHIT + U+{tone} ligature glyph")
        contexts.append((ligatures, f"{SARA_AA}.am{tone}"))

    gsub = font["GSUB"].table
    lookups = gsub.LookupList.Lookup
    rules = []
    for backtrack, new_name in contexts:
        clone_glyph(font, SARA_AA, new_name)
        lookups.append(single_subst_lookup({SARA_AA: new_name}))
        rules.append(chain_rule(backtrack, [SARA_AA], len(lookups) - 1))

    chain_lookup = otTables.Lookup()
    chain_lookup.LookupType = 6
    chain_lookup.LookupFlag = 0
    chain_lookup.SubTable = rules
    chain_lookup.SubTableCount = len(rules)
    lookups.append(chain_lookup)
    gsub.LookupList.LookupCount = len(lookups)
    chain_index = len(lookups) - 1

    # Lookups of a feature run in lookup list order, so the new (last) lookup
    # runs after Sarabun's own ccmp lookups.
    for feature in thai_ccmp_features(gsub):
        feature.LookupListIndex.append(chain_index)
        feature.LookupCount = len(feature.LookupListIndex)


def rename(font, style):
    """Rename the family to "Sarabun KPI" and note the modification."""
    name_table = font["name"]
    version = name_table.getDebugName(5) or "Version 1.000"
    version_number = font["head"].fontRevision
    new_names = {
        1: FAMILY,
        2: style,
        3: f"{version_number:.3f};KPI;{PS_FAMILY}-{style}",
        4: f"{FAMILY} {style}",
        5: f"{version}; {MODIFICATION_NOTE}",
        6: f"{PS_FAMILY}-{style}",
        10: MODIFICATION_NOTE,
    }
    # Drop typographic family names that would still say "Sarabun".
    for name_id in (16, 17, 21, 22):
        name_table.removeNames(nameID=name_id)
    existing = {(rec.platformID, rec.platEncID, rec.langID) for rec in name_table.names}
    if not existing:
        existing = {(3, 1, 0x409)}
    for platform_id, encoding_id, lang_id in sorted(existing):
        for name_id, value in new_names.items():
            name_table.setName(value, name_id, platform_id, encoding_id, lang_id)
    if "CFF " in font:
        raise ValueError("CFF fonts are not supported")


def build(style, out_dir=OUT_DIR):
    """Build one style and return the output path."""
    source = SRC_DIR / f"Sarabun-{style}.ttf"
    target = out_dir / f"{PS_FAMILY}-{style}.ttf"
    # Keep head.modified from the source so the output is reproducible.
    font = TTFont(source, recalcTimestamp=False)
    # fontTools packs the layout tables with HarfBuzz's repacker when uharfbuzz is
    # installed (it is: reports/printing/quick_footer.py): other bytes for the same font.
    # Its own packer keeps the output the same whether or not uharfbuzz is there.
    font.cfg["fontTools.ttLib.tables.otBase:USE_HARFBUZZ_REPACKER"] = False
    add_sara_am_glyphs(font)
    rename(font, style)
    out_dir.mkdir(parents=True, exist_ok=True)
    font.save(target)
    return target


def main():
    """Build all styles."""
    for style in STYLES:
        target = build(style)
        print(f"wrote {target.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
