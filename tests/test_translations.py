import gettext
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings

CATALOGUES = Path(settings.BASE_DIR) / "locale" / "th" / "LC_MESSAGES"
PO = CATALOGUES / "django.po"
ALL_PO = [PO, CATALOGUES / "djangojs.po"]

# Words that are the same in Thai text: names of formats and standards.
SAME_IN_THAI = {"PDF", "Excel", "HTML", "CSV", "XLSX"}
THAI = re.compile("[\u0e00-\u0e7f]")
# What in a message is not language: placeholders, tags, entities, addresses.
NOT_WORDS = re.compile(r"%\(\w+\)[sdfr]|%[sdr]|\{\{?\s*[\w.]+\s*\}?\}|<[^>]+>|&\w+;|https?://\S+")
WORD = re.compile(r"[A-Za-z]{2,}")


@pytest.mark.parametrize("po", ALL_PO, ids=lambda po: po.name)
def test_every_message_has_a_thai_translation(po):
    entries = po.read_text(encoding="utf-8").split("\n\n")[1:]  # after the header
    untranslated = [e for e in entries if re.search(r'^msgstr(\[0\])? ""$', e, re.M)]
    fuzzy = [e for e in entries if "#, fuzzy" in e]
    assert untranslated == [] and fuzzy == []


@pytest.mark.parametrize("po", ALL_PO, ids=lambda po: po.name)
def test_the_compiled_catalogue_is_up_to_date(po, tmp_path):
    assert shutil.which("msgfmt"), "gettext is not installed (tools/setup.sh installs it)"
    compiled = tmp_path / "compiled.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(po)], check=True)
    assert compiled.read_bytes() == po.with_suffix(".mo").read_bytes(), "run `make messages`"


def english_translations(mo: Path) -> list[tuple[str, str]]:
    """(msgid, msgstr) pairs whose "Thai" is English: a message with words, translated
    by text without a Thai letter (the same text, or other English)."""
    with mo.open("rb") as file:
        catalogue = gettext.GNUTranslations(file)._catalog
    found = []
    for key, msgstr in catalogue.items():
        msgid = key[0] if isinstance(key, tuple) else key  # plural forms: (msgid, n)
        msgid = msgid.split("\x04")[-1]  # after a context
        if not msgid or msgstr.strip() in SAME_IN_THAI:
            continue
        if WORD.search(NOT_WORDS.sub("", msgid)) and not THAI.search(msgstr):
            found.append((msgid, msgstr))
    return found


@pytest.mark.parametrize("po", ALL_PO, ids=lambda po: po.name)
def test_no_message_is_translated_to_english(po):
    assert english_translations(po.with_suffix(".mo")) == []


def test_the_english_check_finds_english(tmp_path):
    # The check itself, on a catalogue with one message of each kind.
    po = tmp_path / "django.po"
    po.write_text(
        'msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
        'msgid "Home"\nmsgstr "Home"\n\n'
        'msgid "Back"\nmsgstr "Go back"\n\n'
        'msgid "Export as PDF"\nmsgstr "PDF"\n\n'
        'msgid "Sign in"\nmsgstr "เข้าสู่ระบบ"\n\n'
        'msgid "%(count)s"\nmsgstr "%(count)s"\n',
        encoding="utf-8",
    )
    subprocess.run(["msgfmt", "-o", str(tmp_path / "django.mo"), str(po)], check=True)
    assert sorted(english_translations(tmp_path / "django.mo")) == [("Back", "Go back"), ("Home", "Home")]


def test_the_interface_speaks_thai_by_default(client, django_user_model):
    response = client.get("/accounts/login/", headers={"accept-language": "en-US,en"})
    assert response["Content-Language"] == "th"
    assert "เข้าสู่ระบบ" in response.text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Sign in" in client.get("/accounts/login/").text


def test_breadcrumbs_say_home_in_thai(executive_client, seeded):
    page = executive_client.get(f"/indicators/{seeded.pk}/").text
    assert ">หน้าหลัก</a>" in page and ">ย้อนกลับ</a>" in page
    assert ">Home</a>" not in page and ">Back</a>" not in page
