import re
import shutil
import subprocess
from pathlib import Path

from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "th" / "LC_MESSAGES" / "django.po"


def test_every_message_has_a_thai_translation():
    entries = PO.read_text(encoding="utf-8").split("\n\n")[1:]  # after the header
    untranslated = [e for e in entries if re.search(r'^msgstr(\[0\])? ""$', e, re.M)]
    fuzzy = [e for e in entries if "#, fuzzy" in e]
    assert untranslated == [] and fuzzy == []


def test_the_compiled_catalogue_is_up_to_date(tmp_path):
    assert shutil.which("msgfmt"), "gettext is not installed (tools/setup.sh installs it)"
    compiled = tmp_path / "django.mo"
    subprocess.run(["msgfmt", "--check", "-o", str(compiled), str(PO)], check=True)
    assert compiled.read_bytes() == PO.with_suffix(".mo").read_bytes(), "run `make messages`"


def test_the_interface_speaks_thai_by_default(client, django_user_model):
    response = client.get("/accounts/login/", headers={"accept-language": "en-US,en"})
    assert response["Content-Language"] == "th"
    assert "เข้าสู่ระบบ" in response.text
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Sign in" in client.get("/accounts/login/").text
