from fontTools.ttLib import TTFont

from tools import build_pdf_font


def test_shipped_fonts_are_what_the_build_script_makes(tmp_path):
    for style in build_pdf_font.STYLES:
        built = build_pdf_font.build(style, out_dir=tmp_path)
        shipped = build_pdf_font.OUT_DIR / built.name
        assert built.read_bytes() == shipped.read_bytes(), f"run `make fonts`: {shipped.name} is stale"


def test_derived_font_is_renamed_and_keeps_the_licence():
    font = TTFont(build_pdf_font.OUT_DIR / "SarabunKPI-Regular.ttf")
    names = {record.nameID: record.toUnicode() for record in font["name"].names}
    assert names[1] == "Sarabun KPI"
    assert "Open Font License" in names[13]
    assert "uni0E32.am" in font.getGlyphOrder()
