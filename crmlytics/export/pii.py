"""Normalising and hashing email addresses and phone numbers for ad-platform audience upload.

Ad platforms (Google Customer Match, Meta custom audiences, TikTok customer files) match uploaded
contacts by the SHA-256 of a *normalised* identifier, so the normalisation must be exactly theirs:

- **email**: trim surrounding whitespace and lowercase. Dots in Gmail addresses are kept by default:
  Customer Match and Meta ask only for trim + lowercase; Campaign Manager 360 enhanced conversions
  also want the dots before ``@gmail.com`` / ``@googlemail.com`` removed, which
  ``remove_gmail_dots=True`` does. A value that is not a plausible address (no single ``@`` with
  text on both sides, or whitespace inside) normalises to null: its hash could never match.
- **phone**: E.164, ``+`` then country code then number, digits only (the form Google and TikTok
  hash; Meta's form is the same without the ``+``). Rules, in order:

  1. full-width characters become ASCII (``＋８６`` → ``+86``, NFKC); spaces, hyphens, dots,
     slashes and parentheses are dropped; any other non-digit makes the value unusable (null);
  2. a leading ``+`` or ``00`` means the number already carries its country code;
  3. otherwise the number is national, of the default country (``default_country_code``,
     ``86`` unless configured): a trunk prefix ``0`` is dropped (``010 1234 5678`` →
     ``+861012345678``) and the country code prepended (mobile ``138 1234 5678`` →
     ``+8613812345678``); for China, 13 digits starting ``861`` are a mobile number already written
     with its country code (``8613812345678``);
  4. the result must have 8 to 15 digits (E.164 allows at most 15), else null.

The hash is the lowercase hex SHA-256 of the normalised text's UTF-8 bytes. Null or unusable values
stay null: an empty string is not hashed (its hash would be the same for every such customer).

A hashed list keeps no clear-text PII: the ``name`` column is **dropped**, not hashed. No ad
platform matches on a hashed name alone, and the hash of a name is easily reversed by hashing a
list of common names; ``customer_id`` stays to join the list back.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import pandas as pd

from crmlytics.errors import ConfigError, DataError

DEFAULT_COUNTRY_CODE = "86"
HASH_METHODS = ("sha256",)
#: Clear-text columns a hashed list leaves out (see the module docstring).
DROPPED_WHEN_HASHED = ("name",)

_SEPARATORS = re.compile(r"[\s\-./()]")
_GMAIL_DOMAINS = ("gmail.com", "googlemail.com")


def sha256_hex(text: str) -> str:
    """Lowercase hex SHA-256 of the UTF-8 bytes of ``text``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def normalize_email(value: object, *, remove_gmail_dots: bool = False) -> str | None:
    """``value`` trimmed and lowercased, or ``None`` if missing or not an email address.

    >>> normalize_email(" Test@Example.COM ")
    'test@example.com'
    """
    if not isinstance(value, str):
        return None
    email = value.strip().lower()
    local, at, domain = email.partition("@")
    if not at or not local or not domain or "@" in domain or re.search(r"\s", email):
        return None
    if remove_gmail_dots and domain in _GMAIL_DOMAINS:
        local = local.replace(".", "")
    return f"{local}@{domain}"


def normalize_phone(
    value: object, *, default_country_code: str = DEFAULT_COUNTRY_CODE
) -> str | None:
    """``value`` in E.164 form (``+8613812345678``), or ``None`` if missing or unusable.

    Numbers without ``+`` / ``00`` are read as national numbers of ``default_country_code``
    (digits only, no ``+``); the rules are in the module docstring.

    >>> normalize_phone("138-1234-5678")
    '+8613812345678'
    """
    if not default_country_code.isdigit() or not 1 <= len(default_country_code) <= 3:
        raise ConfigError(
            f"default country code {default_country_code!r} must be 1-3 digits without '+'"
        )
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = _SEPARATORS.sub("", unicodedata.normalize("NFKC", value))
    international = False
    if text.startswith("+"):
        text, international = text[1:], True
    elif text.startswith("00"):
        text, international = text[2:], True
    if not text.isascii() or not text.isdigit():
        return None
    if not international:
        if default_country_code == "86" and len(text) == 13 and text.startswith("861"):
            pass  # a Chinese mobile number written with its country code but without '+'
        else:
            text = default_country_code + text.removeprefix("0")
    if text.startswith("0") or not 8 <= len(text) <= 15:
        return None
    return "+" + text


def hash_email(value: object, *, remove_gmail_dots: bool = False) -> str | None:
    """SHA-256 hex of the normalised email, or ``None`` if there is none."""
    email = normalize_email(value, remove_gmail_dots=remove_gmail_dots)
    return None if email is None else sha256_hex(email)


def hash_phone(value: object, *, default_country_code: str = DEFAULT_COUNTRY_CODE) -> str | None:
    """SHA-256 hex of the E.164 phone number, or ``None`` if there is none."""
    phone = normalize_phone(value, default_country_code=default_country_code)
    return None if phone is None else sha256_hex(phone)


def hash_contact_columns(
    frame: pd.DataFrame,
    *,
    method: str = "sha256",
    default_country_code: str = DEFAULT_COUNTRY_CODE,
    remove_gmail_dots: bool = False,
) -> pd.DataFrame:
    """``frame`` with ``email`` / ``phone`` replaced, in place of each, by ``email_sha256`` /
    ``phone_sha256`` (hashes of the normalised values; null where there is no usable value),
    and without ``name`` (:data:`DROPPED_WHEN_HASHED`).

    The clear-text columns are dropped. Customer grain: runs in pandas after the list is built.
    """
    if method not in HASH_METHODS:
        raise ConfigError(f"unknown PII hash {method!r}; supported: {', '.join(HASH_METHODS)}")
    missing = [c for c in ("email", "phone") if c not in frame.columns]
    if missing:
        raise DataError(f"cannot hash PII: the list has no column {', '.join(missing)}")
    out = frame.copy()
    emails = out["email"].map(lambda v: hash_email(v, remove_gmail_dots=remove_gmail_dots))
    phones = out["phone"].map(lambda v: hash_phone(v, default_country_code=default_country_code))
    out["email"] = emails.astype("object").where(emails.notna(), None)
    out["phone"] = phones.astype("object").where(phones.notna(), None)
    out = out.drop(columns=[c for c in DROPPED_WHEN_HASHED if c in out.columns])
    return out.rename(columns={"email": f"email_{method}", "phone": f"phone_{method}"})
