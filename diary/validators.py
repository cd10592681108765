import unicodedata

from django.core.exceptions import ValidationError

# Scripts written together, as Unicode's "highly restrictive" identifier level (UTS #39)
# allows: Japanese mixes Han, Hiragana and Katakana, Korean Han and Hangul, Chinese Han and
# Bopomofo, each also with Latin. Unicode names Han letters "CJK ..." or "IDEOGRAPHIC ...".
HAN = {"CJK", "IDEOGRAPHIC"}
WRITTEN_TOGETHER = [
    {"LATIN", *HAN, "HIRAGANA", "KATAKANA", "KATAKANA-HIRAGANA"},
    {"LATIN", *HAN, "HANGUL"},
    {"LATIN", *HAN, "BOPOMOFO"},
]


def scripts(text):
    """The scripts of the letters in text, by the first word of each letter's Unicode name."""
    return {
        unicodedata.name(char, "").partition(" ")[0]
        for char in text
        if unicodedata.category(char).startswith("L")
    }


def validate_single_script(username):
    """Refuse a username whose letters mix scripts, such as a Cyrillic “а” in “аlice”.

    Mixed letters are how one name is made to look like another. Django has already put the
    username in NFKC form, which turns look-alikes such as full-width “ａ” into plain letters.
    """
    found = scripts(username)
    if len(found) > 1 and not any(found <= together for together in WRITTEN_TOGETHER):
        raise ValidationError(
            "This username mixes letters from different alphabets (such as a Cyrillic “а” "
            "among Latin letters), so it could pass for someone else’s. Use letters from "
            "one alphabet.",
            code="mixed_scripts",
        )
