"""PII redaction: e-mail addresses, IP addresses and phone numbers become placeholders.

Never drops a document. Each replacement is counted per type as ``redacted.pii.<type>``
(``email``, ``ip``, ``phone``) and the document is tagged ``pii:<type>``. Placeholders default to
``<EMAIL>``, ``<IP>``, ``<PHONE>``. Patterns:

- e-mail: ``local@domain.tld`` (RFC 5322 atoms, a dotted domain, a 2+ letter TLD);
- IP: dotted IPv4 with every octet <= 255 (not part of a longer dotted number), and IPv6 with at
  least three groups (full or ``::``-compressed);
- phone: an optional ``+country`` code then 7 to 15 digits (9 or more without a
  code or area code in brackets) in groups separated by spaces, dots,
  dashes or parentheses (at least two groups, so years, prices and ids are not caught); bare runs
  of digits and lists of years are left alone.
"""

from __future__ import annotations

import re

from data_pipeline.filters.base import Filter, Result, register_filter
from data_pipeline.filters.doc import Doc

_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
PATTERNS: dict[str, re.Pattern[str]] = {
    "email": re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b"),
    "ip": re.compile(
        rf"(?<![\d.]){_OCTET}(?:\.{_OCTET}){{3}}(?![\d.]*\d)"
        r"|(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{1,4}(?![\w:])"
        r"|(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){1,6}:(?:[0-9A-Fa-f]{1,4}:?){1,6}(?![\w:])"
    ),
    "phone": re.compile(
        r"(?<![\w+])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,8}){1,4}(?![\w])"
    ),
}


def _is_phone(match: str) -> bool:
    groups = re.findall(r"\d+", match)
    if all(len(g) == 4 and 1800 <= int(g) <= 2099 for g in groups):
        return False  # a list of years
    digits = sum(map(len, groups))
    return 7 <= digits <= 15 and (match.startswith(("+", "(")) or digits >= 9)


@register_filter
class PiiRedaction(Filter):
    name = "pii"

    def __init__(
        self,
        email: bool = True,
        ip: bool = True,
        phone: bool = True,
        placeholders: dict[str, str] | None = None,
    ):
        self.email, self.ip, self.phone = email, ip, phone
        self.placeholders = {
            "email": "<EMAIL>",
            "ip": "<IP>",
            "phone": "<PHONE>",
            **(placeholders or {}),
        }
        self._on = [k for k in ("email", "ip", "phone") if getattr(self, k)]

    def redact(self, text: str) -> tuple[str, dict[str, int]]:
        """``text`` with PII replaced, and the number of replacements per type."""
        found: dict[str, int] = {}
        for kind in self._on:
            if kind == "email" and "@" not in text:
                continue
            pattern, placeholder = PATTERNS[kind], self.placeholders[kind]

            def swap(m: re.Match[str], kind: str = kind, placeholder: str = placeholder) -> str:
                if kind == "phone" and not _is_phone(m.group(0)):
                    return m.group(0)
                found[kind] = found.get(kind, 0) + 1
                return placeholder

            text = pattern.sub(swap, text)
        return text, found

    def check(self, doc: Doc) -> Result:
        text, found = self.redact(doc.text)
        if found:
            for kind, n in found.items():
                doc.count(f"redacted.pii.{kind}", n)
                doc.tag(f"pii:{kind}")
            doc.count("chars.edited.pii", len(doc.text) - len(text))
            doc.set_text(text)
        return None
