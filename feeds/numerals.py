"""Chinese numerals (二十九, 一百零五, 两百, 二〇二四) to and from integers."""

from __future__ import annotations

DIGITS = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4,
          "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
UNITS = {"十": 10, "百": 100, "千": 1000}
_CHARS = "".join(DIGITS) + "".join(UNITS)
_WRITE = "零一二三四五六七八九"


def is_numeral(text: str) -> bool:
    """Whether every character of ``text`` is a Chinese numeral character."""
    return bool(text) and all(c in _CHARS for c in text)


def abbreviated(text: str) -> tuple[int, int] | None:
    """For a numeral whose last digit follows 百 or 千 directly (一百一, 两百五, 一千二,
    百一), the two numbers it may mean: as said aloud, the unit left out (110, 250, 1200,
    110), and as written digit by digit (101, 205, 1002, 101); else None."""
    if len(text) < 2 or text[-1] not in DIGITS or not DIGITS[text[-1]] \
            or text[-2] not in ("百", "千") or not is_numeral(text):
        return None
    try:
        head = parse_chinese(text[:-1])
    except ValueError:
        return None
    digit = DIGITS[text[-1]]
    return head + digit * UNITS[text[-2]] // 10, head + digit


def parse_chinese(text: str) -> int:
    """Read a Chinese numeral below 10,000; raise ValueError if it is malformed or
    :func:`abbreviated` (一百一 is 110 to a reader, and was read as 101)."""
    if not is_numeral(text):
        raise ValueError(f"not a Chinese numeral: {text!r}")
    meant = abbreviated(text)
    if meant is not None:
        raise ValueError(f"{text!r} may be {meant[0]} or {meant[1]}")
    if not any(c in UNITS for c in text):
        if len(text) > 4:
            raise ValueError(f"more than four digits in {text!r}")
        value = int("".join(str(DIGITS[c]) for c in text))
        if value == 0:
            raise ValueError(f"zero is not a valid issue number: {text!r}")
        return value
    total, digit, last_unit = 0, None, 10_000
    for char in text:
        if char in DIGITS:
            if digit is not None and DIGITS[char] and digit:
                raise ValueError(f"two digits in a row in {text!r}")
            digit = DIGITS[char]
            continue
        unit = UNITS[char]
        if unit >= last_unit:
            raise ValueError(f"units out of order in {text!r}")
        if digit == 0:
            raise ValueError(f"zero before a unit in {text!r}")
        total += (1 if digit is None else digit) * unit
        digit, last_unit = None, unit
    if digit:
        total += digit
    if total == 0:
        raise ValueError(f"zero is not a valid issue number: {text!r}")
    return total


def to_chinese(number: int) -> str:
    """Write 1..9999 the way the newsletter does (十一, 二十九, 一百零五)."""
    if not 0 < number < 10_000:
        raise ValueError(f"out of range: {number}")
    parts: list[str] = []
    pending_zero = False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // unit % 10
        if digit == 0:
            pending_zero = bool(parts)
            continue
        if pending_zero:
            parts.append("零")
            pending_zero = False
        if not (unit == 10 and digit == 1 and not parts):
            parts.append(_WRITE[digit])
        parts.append(name)
    return "".join(parts)
