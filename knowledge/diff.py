"""A word-level difference between two texts, as escaped HTML with <del> and <ins>.

A reviewer reads what an editor changed in a field, not the whole field twice. Words and the
whitespace between them are compared as separate tokens, so a changed line break shows too.
"""

import difflib
import re

from django.utils.html import escape
from django.utils.safestring import mark_safe

TOKEN = re.compile(r"\s+|[^\s]+")
# Unchanged words this short between two changes are shown as part of the change: a rewritten
# sentence that happens to share "a" and "of" with the old one reads as one change.
SHORT_WORD = 3


def word_diff(old, new):
    """`new` as safe HTML, with removed words in <del> and added words in <ins>."""
    before, after = TOKEN.findall(old or ""), TOKEN.findall(new or "")
    # autojunk off: in a long body the spaces are frequent tokens, which autojunk would skip.
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    pieces = []  # (removed tokens, added tokens), or (None, unchanged tokens)
    opcodes = matcher.get_opcodes()
    for index, (operation, a_start, a_end, b_start, b_end) in enumerate(opcodes):
        same = before[a_start:a_end]
        if operation == "equal" and not (0 < index < len(opcodes) - 1 and _trivial(same)):
            pieces.append((None, same))
        elif pieces and pieces[-1][0] is not None:
            removed, added = pieces[-1]
            pieces[-1] = (removed + before[a_start:a_end], added + after[b_start:b_end])
        else:
            pieces.append((before[a_start:a_end], after[b_start:b_end]))
    parts = []
    for removed, added in pieces:
        if removed is None:
            parts.append(escape("".join(added)))
            continue
        if removed:
            parts.append(f"<del>{escape(''.join(removed))}</del>")
        if added:
            parts.append(f"<ins>{escape(''.join(added))}</ins>")
    # Every piece of text above went through escape(); only the two tags are added.
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703


def _trivial(tokens):
    words = [token for token in tokens if not token.isspace()]
    return not words or (len(words) == 1 and len(words[0]) <= SHORT_WORD)
