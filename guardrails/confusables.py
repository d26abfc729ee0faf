"""The look-alike fold table the injection scanner reads text through.

Why a module of its own: letters from other scripts that look like Latin ones (Cyrillic "і", Greek "ο", small
capitals, regional indicators) are folded so "іgnоre" reads as "ignore". guardrails/injection.py folds its view
and its detectors' words with it, and the modules it calls (injection_languages.py, injection_bypass_languages.py)
fold their patterns with the same table; here each imports it at the top, with no import cycle to work around.
"""

from __future__ import annotations

CONFUSABLE: dict[int, str] = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ѕ": "s", "і": "i", "ј": "j", "к": "k", "м": "m", "н": "h", "о": "o",
        "р": "p", "с": "c", "т": "t", "у": "y", "х": "x", "ԁ": "d", "ɡ": "g", "ո": "n", "ս": "u", "ա": "w",
        "А": "A", "В": "B", "Е": "E", "Ѕ": "S", "І": "I", "Ј": "J", "К": "K", "М": "M", "Н": "H", "О": "O",
        "Р": "P", "С": "C", "Т": "T", "У": "Y", "Х": "X", "Ү": "Y", "ӏ": "l",
        "α": "a", "ο": "o", "ρ": "p", "ν": "v", "τ": "t", "ι": "i", "κ": "k", "υ": "u", "χ": "x", "ε": "e",
        "Α": "A", "Β": "B", "Ε": "E", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O", "Ρ": "P",
        "Τ": "T", "Υ": "Y", "Χ": "X", "Ζ": "Z",
        "ı": "i", "ℓ": "l", "∕": "/", "⁄": "/", "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-",
        "\u00a0": " ", "\u2000": " ", "\u2001": " ", "\u2002": " ", "\u2003": " ", "\u2009": " ",
        "\u200a": " ", "\u202f": " ", "\u205f": " ", "\u3000": " ",
        # Small capitals (phonetic letters NFKC leaves alone) and a few more Cyrillic and Greek look-alikes
        "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e", "ꜰ": "f", "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j",
        "ᴋ": "k", "ʟ": "l", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p", "ꞯ": "q", "ʀ": "r", "ꜱ": "s", "ᴛ": "t",
        "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z", "ɑ": "a", "ɩ": "i", "ɒ": "a",
        "һ": "h", "ԛ": "q", "ԝ": "w", "ϲ": "c", "ϳ": "j", "ѵ": "v", "Ϲ": "C", "Ԛ": "Q", "Ԝ": "W",
        **{chr(0x1F1E6 + i): chr(0x61 + i) for i in range(26)},  # regional indicator letters
        **{chr(0x1F150 + i): chr(0x41 + i) for i in range(26)},  # negative circled capitals
        **{chr(0x1F170 + i): chr(0x41 + i) for i in range(26)},  # negative squared capitals
    }
)  # fmt: skip
"""Look-alike letter or space -> its Latin or ASCII reading (a `str.translate` table)."""


__all__ = ["CONFUSABLE"]
