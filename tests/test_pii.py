"""Normalising and hashing email and phone the way ad platforms match them."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest

from crmlytics.export.pii import (
    hash_contact_columns,
    hash_email,
    hash_phone,
    normalize_email,
    normalize_phone,
    sha256_hex,
)


def test_email_is_trimmed_and_lowercased():
    assert normalize_email(" Test@Example.COM ") == "test@example.com"


def test_email_hash_is_sha256_hex_of_the_normalised_address():
    # computed here with hashlib on the literal, independent of the module's code path
    expected = hashlib.sha256(b"test@example.com").hexdigest()
    assert expected == "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"
    assert hash_email(" Test@Example.COM ") == expected


def test_email_hash_matches_tiktok_published_example():
    # TikTok Ads "supported IDs and formats for a customer file": normalised "janedoe@gmail.com"
    # hashes to d6117306...; an upper-case, padded input must give the same value
    published = "d6117306485ed0e50afab3ac871e98f81699151f30281527d63ff5f233656c69"
    assert hash_email("  JaneDoe@Gmail.com") == published


def test_gmail_dots_are_kept_unless_asked_to_remove_them():
    assert normalize_email("Jane.Doe@gmail.com") == "jane.doe@gmail.com"
    assert normalize_email("Jane.Doe@gmail.com", remove_gmail_dots=True) == "janedoe@gmail.com"
    assert normalize_email("j.d@googlemail.com", remove_gmail_dots=True) == "jd@googlemail.com"
    assert normalize_email("jane.doe@example.com", remove_gmail_dots=True) == "jane.doe@example.com"


@pytest.mark.parametrize(
    "value", [None, float("nan"), pd.NA, "", "   ", "no-at-sign", "@example.com", "a@", "a b@x.cn"]
)
def test_missing_or_unusable_email_stays_null(value):
    assert normalize_email(value) is None
    assert hash_email(value) is None


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13812345678", "+8613812345678"),  # Chinese mobile, 11 digits starting with 1
        ("138 1234 5678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("+86 138 1234 5678", "+8613812345678"),
        ("(+86) 138.1234.5678", "+8613812345678"),
        ("0086 13812345678", "+8613812345678"),  # 00 international prefix
        ("8613812345678", "+8613812345678"),  # country code written without '+'
        ("＋８６ １３８１２３４５６７８", "+8613812345678"),  # full-width digits
        ("010-1234 5678", "+861012345678"),  # Beijing landline: trunk 0 dropped
        (" (021) 6123-4567 ", "+862161234567"),
        ("+1 (650) 555-1212", "+16505551212"),
        ("+44 20 7946 0958", "+442079460958"),
        (13812345678, "+8613812345678"),  # read from a numeric column
    ],
)
def test_phone_becomes_e164(raw, e164):
    assert normalize_phone(raw) == e164


def test_phone_default_country_code_is_configurable():
    assert normalize_phone("650-555-1212", default_country_code="1") == "+16505551212"
    assert normalize_phone("020 7946 0958", default_country_code="44") == "+442079460958"
    with pytest.raises(ValueError, match="country code"):
        normalize_phone("13812345678", default_country_code="+86")


@pytest.mark.parametrize(
    "value",
    [None, float("nan"), "", "n/a", "138-1234-567x", "123", "+0123456789", "+1234567890123456"],
)
def test_missing_or_unusable_phone_stays_null(value):
    assert normalize_phone(value) is None
    assert hash_phone(value) is None


def test_phone_hash_is_sha256_of_the_e164_text():
    assert hash_phone("138 1234 5678") == hashlib.sha256(b"+8613812345678").hexdigest()
    assert sha256_hex("张三") == hashlib.sha256("张三".encode()).hexdigest()


def test_hashing_replaces_email_and_phone_in_place_drops_the_name_and_keeps_nulls():
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "name": ["张三", "李四", "王五"],
            "email": [" Test@Example.COM ", None, "not an email"],
            "phone": ["138 1234 5678", "+1 650 555 1212", None],
            "region": ["华东", "华北", None],
        }
    )
    hashed = hash_contact_columns(frame)
    assert list(hashed.columns) == ["customer_id", "email_sha256", "phone_sha256", "region"]
    assert hashed["email_sha256"].tolist() == [
        hashlib.sha256(b"test@example.com").hexdigest(),
        None,
        None,
    ]
    assert hashed["phone_sha256"].tolist() == [
        hashlib.sha256(b"+8613812345678").hexdigest(),
        hashlib.sha256(b"+16505551212").hexdigest(),
        None,
    ]
    assert frame["email"].iloc[0] == " Test@Example.COM "  # the caller's frame is untouched


def test_unknown_hash_method_is_refused():
    frame = pd.DataFrame({"email": ["a@b.c"], "phone": ["1"]})
    with pytest.raises(ValueError, match="unknown PII hash 'md5'"):
        hash_contact_columns(frame, method="md5")
