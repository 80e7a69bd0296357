"""Collisions (撞单): open opportunities of one customer held by different owners.

Two open opportunities collide when their owners differ and their customers are the same
customer record, or look like one customer: the same phone number or email address after the
normalisation of :mod:`crmlytics.export.pii` (E.164 phone, trimmed lower-case email). Each pair
is listed once, with both owners, stages and values and what they matched on (``customer``,
``email`` or ``phone``: the first of these that matches).
"""

from __future__ import annotations

import datetime as _dt

import ibis
import ibis.expr.types as ir
import pandas as pd

from crmlytics.asof import AsOf
from crmlytics.asof import as_of as resolve_as_of
from crmlytics.export.pii import normalize_email, normalize_phone
from crmlytics.funnel.config import FunnelPreset, opportunity_preset
from crmlytics.funnel.stages import deals
from crmlytics.workspace import Workspace

COLLISION_COLUMNS: tuple[str, ...] = (
    "matched_on",
    "opportunity_id",
    "customer_id",
    "owner",
    "stage",
    "expected_value",
    "other_opportunity_id",
    "other_customer_id",
    "other_owner",
    "other_stage",
    "other_expected_value",
)


def contact_keys(
    contacts: pd.DataFrame, *, default_country_code: str = "86", remove_gmail_dots: bool = False
) -> pd.DataFrame:
    """Match keys of customers (customer grain): ``customer_id``, ``matched_on``
    (``customer`` / ``email`` / ``phone``) and ``match_key``, one row per usable identifier."""
    ids = contacts["customer_id"].astype("object")
    email = contacts["email"].map(lambda v: normalize_email(v, remove_gmail_dots=remove_gmail_dots))
    phone = contacts["phone"].map(
        lambda v: normalize_phone(v, default_country_code=default_country_code)
    )
    parts = [
        pd.DataFrame({"customer_id": ids, "matched_on": "customer", "match_key": ids}),
        pd.DataFrame({"customer_id": ids, "matched_on": "email", "match_key": email}),
        pd.DataFrame({"customer_id": ids, "matched_on": "phone", "match_key": phone}),
    ]
    keys = pd.concat(parts, ignore_index=True)
    keys = keys[keys["match_key"].notna()]
    return keys.astype({"customer_id": "string", "matched_on": "string", "match_key": "string"})


def collisions(
    ws: Workspace,
    preset: str | FunnelPreset | None = None,
    as_of: str | _dt.date | _dt.datetime | AsOf | None = None,
    config: object | None = None,
) -> ir.Table:
    """Pairs of open opportunities as of ``as_of`` whose customers match and whose owners differ
    (Ibis table, :data:`COLLISION_COLUMNS`; ``opportunity_id < other_opportunity_id``).

    The contacts of customers with an open opportunity (customer grain) are normalised in Python
    by :mod:`crmlytics.export.pii` (``export.default_country_code`` and
    ``export.remove_gmail_dots`` from ``config``); the pairing is relational.
    """
    chosen = opportunity_preset(preset, config, "collisions")
    point = resolve_as_of(as_of)
    table = deals(ws, chosen, point, config)
    open_deals = table.filter((table.outcome == "open") & table.customer_id.notnull())
    customers = ws.table("customers")
    holders = open_deals.select("customer_id").distinct()
    contacts = customers.semi_join(holders, customers.customer_id == holders.customer_id)
    frame = contacts.select("customer_id", "email", "phone").to_pandas()
    missing = holders.anti_join(customers, holders.customer_id == customers.customer_id)
    extra = missing.to_pandas().assign(email=None, phone=None)
    frame = pd.concat([frame, extra], ignore_index=True) if len(extra) else frame
    export = getattr(config, "export", None)
    keys = contact_keys(
        frame,
        default_country_code=getattr(export, "default_country_code", "86"),
        remove_gmail_dots=getattr(export, "remove_gmail_dots", False),
    )
    if keys.empty:
        keys = pd.DataFrame(
            {"customer_id": ["\0"], "matched_on": ["customer"], "match_key": ["\0"]}
        )
    key_table = ibis.memtable(
        keys, schema={"customer_id": "string", "matched_on": "string", "match_key": "string"}
    )
    side = open_deals.select("opportunity_id", "customer_id", "owner", "stage", "expected_value")
    keyed = side.join(key_table, side.customer_id == key_table.customer_id).select(
        *side.columns, "matched_on", "match_key"
    )
    other = keyed.rename(
        **{
            f"other_{c}": c
            for c in (
                "opportunity_id",
                "customer_id",
                "owner",
                "stage",
                "expected_value",
                "matched_on",
                "match_key",
            )
        }
    )
    pairs = keyed.join(
        other,
        (keyed.match_key == other.other_match_key)
        & (keyed.matched_on == other.other_matched_on)
        & (keyed.opportunity_id < other.other_opportunity_id)
        & (keyed.owner != other.other_owner),
    )
    rank = ibis.cases(
        (pairs.matched_on == "customer", 0), (pairs.matched_on == "email", 1), else_=2
    )
    pairs = pairs.mutate(_rank=rank)
    best = pairs.group_by(["opportunity_id", "other_opportunity_id"]).aggregate(
        _best=pairs._rank.min()
    )
    kept = pairs.join(
        best,
        (pairs.opportunity_id == best.opportunity_id)
        & (pairs.other_opportunity_id == best.other_opportunity_id)
        & (pairs._rank == best._best),
    )
    return kept.select(*COLLISION_COLUMNS).distinct()
