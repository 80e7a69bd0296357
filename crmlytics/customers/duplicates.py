"""Likely duplicate customer records, with a merge suggestion and its evidence; customers
missing the fields that lists need.

Two records are likely duplicates when they share a match key:

- ``phone``: the same phone number in E.164 form (:func:`crmlytics.export.pii.normalize_phone`:
  ``138-1234-5678``, ``+86 138 1234 5678`` and ``008613812345678`` are one number);
- ``email``: the same address trimmed and lower-cased
  (:func:`~crmlytics.export.pii.normalize_email`);
- ``name_region`` (``customers.match_name_region``): the same name (Unicode NFKC, case-folded,
  spaces removed) in the same region (likewise); records without a name or region never match
  on it.

Records linked through shared keys, directly or through a chain, form one group. In each group
one record survives: the one with the most purchases as of the as-of date, then the highest net
revenue, then the most of the contact fields filled (name, email, phone, region), then the
earliest signup, then the smallest ``customer_id``. Every other record of the group is a
suggestion to drop, with the keys it shares with the survivor (or the records that link them)
and the first rule that chose the survivor (``reason``).

The records are read at customer grain (one row per customer) and matched in Python, like the
collision check of the funnel; nothing here writes the warehouse.
"""

from __future__ import annotations

import datetime as _dt
import unicodedata
from collections.abc import Sequence

import ibis
import ibis.expr.types as ir
import pandas as pd

from crmlytics.asof import AsOf
from crmlytics.customers.config import FIELDS, customers_config
from crmlytics.errors import ConfigError
from crmlytics.export.pii import normalize_email, normalize_phone
from crmlytics.workspace import Workspace

AsOfLike = str | _dt.date | _dt.datetime | AsOf | None

DUPLICATE_COLUMNS: tuple[str, ...] = (
    "group_id",
    "keep_id",
    "drop_id",
    "matched_on",
    "evidence",
    "reason",
    "keep_name",
    "drop_name",
    "keep_orders",
    "drop_orders",
    "keep_net_revenue",
    "drop_net_revenue",
)
CONTACT_FIELDS = ("name", "email", "phone", "region")
KEY_KINDS = ("phone", "email", "name_region")


def _plain(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = "".join(unicodedata.normalize("NFKC", value).casefold().split())
    return text or None


def match_keys(
    records: pd.DataFrame,
    *,
    default_country_code: str = "86",
    remove_gmail_dots: bool = False,
    name_region: bool = True,
) -> pd.DataFrame:
    """Match keys of customer records: ``customer_id``, ``matched_on`` (phone / email /
    name_region), ``match_key``; one row per usable key (module docstring)."""
    ids = records["customer_id"].astype("object")
    parts = [
        pd.DataFrame(
            {
                "customer_id": ids,
                "matched_on": "phone",
                "match_key": records["phone"].map(
                    lambda v: normalize_phone(v, default_country_code=default_country_code)
                ),
            }
        ),
        pd.DataFrame(
            {
                "customer_id": ids,
                "matched_on": "email",
                "match_key": records["email"].map(
                    lambda v: normalize_email(v, remove_gmail_dots=remove_gmail_dots)
                ),
            }
        ),
    ]
    if name_region:
        key = [
            f"{n}|{r}" if n and r else None
            for n, r in zip(
                map(_plain, records["name"]), map(_plain, records["region"]), strict=True
            )
        ]
        parts.append(
            pd.DataFrame({"customer_id": ids, "matched_on": "name_region", "match_key": key})
        )
    keys = pd.concat(parts, ignore_index=True)
    return keys[keys["match_key"].notna()].reset_index(drop=True)


def _groups(keys: pd.DataFrame) -> dict[str, str]:
    """Union-find over shared keys: customer_id -> smallest customer_id of its group."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for _, ids in keys.groupby(["matched_on", "match_key"])["customer_id"]:
        members = sorted(set(ids))
        for other in members[1:]:
            a, b = find(members[0]), find(other)
            if a != b:
                parent[max(a, b)] = min(a, b)
    return {x: find(x) for x in list(parent)}


def _records(ws: Workspace, as_of: AsOfLike) -> pd.DataFrame:
    from crmlytics.facts import customer_facts

    customers = ws.table("customers")
    facts = customer_facts(ws, as_of).select(
        _cid=ibis._.customer_id, orders=ibis._.orders, net_revenue=ibis._.net_revenue
    )
    joined = customers.left_join(facts, customers.customer_id == facts._cid)
    return joined.select(
        "customer_id",
        "name",
        "region",
        "email",
        "phone",
        "signup_date",
        orders=joined.orders.fill_null(0),
        net_revenue=joined.net_revenue.fill_null(0.0),
    ).to_pandas()


def _filled(row: pd.Series) -> int:
    return sum(isinstance(row[f], str) and bool(row[f].strip()) for f in CONTACT_FIELDS)


def _reason(keep: pd.Series, drop: pd.Series) -> str:
    if keep["orders"] != drop["orders"]:
        return f"more purchases ({keep['orders']} against {drop['orders']})"
    if round(keep["net_revenue"], 2) != round(drop["net_revenue"], 2):
        return f"more net revenue ({keep['net_revenue']:.2f} against {drop['net_revenue']:.2f})"
    if keep["_filled"] != drop["_filled"]:
        return f"more contact fields filled ({keep['_filled']} against {drop['_filled']})"
    if keep["_signup"] != drop["_signup"]:
        return f"signed up earlier ({keep['signup_date']} against {drop['signup_date']})"
    return "all else equal: the smaller customer_id"


def suggest_merges(
    records: pd.DataFrame,
    keys: pd.DataFrame,
) -> pd.DataFrame:
    """Merge suggestions from customer ``records`` (customer_id, name, region, email, phone,
    signup_date, orders, net_revenue) and their :func:`match_keys`: one row per record to drop,
    :data:`DUPLICATE_COLUMNS`, sorted by group and drop id."""
    group_of = _groups(keys)
    if not group_of:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in DUPLICATE_COLUMNS})
    recs = records.set_axis(records["customer_id"].astype("object").to_numpy(), axis=0)
    recs = recs.assign(
        _filled=recs.apply(_filled, axis=1),
        _signup=[
            pd.Timestamp(d).date() if pd.notna(d) else _dt.date.max for d in recs["signup_date"]
        ],
    )
    by_id = keys.groupby("customer_id")
    key_sets = {
        cid: set(zip(rows["matched_on"], rows["match_key"], strict=True)) for cid, rows in by_id
    }
    members: dict[str, list[str]] = {}
    for cid, group in group_of.items():
        members.setdefault(group, []).append(cid)
    rows = []
    for group in sorted(members):
        ids = sorted(members[group])
        if len(ids) < 2:
            continue
        ranked = recs.loc[ids].sort_values(
            ["orders", "net_revenue", "_filled", "_signup", "customer_id"],
            ascending=[False, False, False, True, True],
        )
        keep = ranked.iloc[0]
        for _, drop in ranked.iloc[1:].iterrows():
            shared = key_sets[keep["customer_id"]] & key_sets[drop["customer_id"]]
            if shared:
                matched = sorted({kind for kind, _ in shared}, key=KEY_KINDS.index)
                evidence = "; ".join(f"{kind} {value}" for kind, value in sorted(shared))
            else:
                links = [c for c in ids if c not in (keep["customer_id"], drop["customer_id"])]
                matched = ["chain"]
                evidence = "linked through " + ", ".join(links)
            rows.append(
                dict(
                    group_id=group,
                    keep_id=keep["customer_id"],
                    drop_id=drop["customer_id"],
                    matched_on=",".join(matched),
                    evidence=evidence,
                    reason=_reason(keep, drop),
                    keep_name=keep["name"],
                    drop_name=drop["name"],
                    keep_orders=int(keep["orders"]),
                    drop_orders=int(drop["orders"]),
                    keep_net_revenue=float(keep["net_revenue"]),
                    drop_net_revenue=float(drop["net_revenue"]),
                )
            )
    return pd.DataFrame(rows, columns=list(DUPLICATE_COLUMNS))


def duplicate_customers(
    ws: Workspace, as_of: AsOfLike = None, config: object | None = None
) -> pd.DataFrame:
    """Likely duplicate customer records with a merge suggestion (module docstring).

    Parameters
    ----------
    ws : the warehouse.
    as_of : purchases and net revenue (which decide the survivor) as of this point.
    config : the whole configuration: ``customers.match_name_region``, and
        ``export.default_country_code`` / ``export.remove_gmail_dots`` for normalising.

    Returns
    -------
    pandas frame, :data:`DUPLICATE_COLUMNS`: one row per record to drop; ``group_id`` is the
    smallest customer_id of the group; ``matched_on`` the kinds of key shared with the survivor
    (phone, email, name_region; ``chain`` when only other records link them) and ``evidence``
    the normalised values.
    """
    settings = customers_config(getattr(config, "customers", None) if config else None)
    export = getattr(config, "export", None)
    records = _records(ws, as_of)
    keys = match_keys(
        records,
        default_country_code=getattr(export, "default_country_code", "86"),
        remove_gmail_dots=getattr(export, "remove_gmail_dots", False),
        name_region=settings.match_name_region,
    )
    return suggest_merges(records, keys)


def incomplete_customers(
    ws: Workspace, fields: Sequence[str] | None = None, config: object | None = None
) -> ir.Table:
    """Customers missing any of ``fields`` (default ``customers.required_fields``: email,
    phone, region); a blank text counts as missing.

    Returns
    -------
    Ibis table: ``customer_id``, ``name``, ``missing_fields`` (the missing ones, comma-separated,
    in the order of ``fields``), ``missing_count``.
    """
    settings = customers_config(getattr(config, "customers", None) if config else None)
    chosen = tuple(fields or settings.required_fields)
    unknown = [f for f in chosen if f not in FIELDS]
    if unknown:
        raise ConfigError(f"unknown customer fields {unknown}; use {', '.join(FIELDS)}")
    customers = ws.table("customers")
    missing = {}
    for f in chosen:
        column = customers[f]
        if column.type().is_string():
            missing[f] = column.isnull() | (column.strip() == "")
        else:
            missing[f] = column.isnull()
    text = ibis.literal("")
    for f in chosen:
        text = text.concat(ibis.ifelse(missing[f], f + ",", ""))
    count = sum((m.cast("int64") for m in missing.values()), ibis.literal(0))
    out = customers.select(
        "customer_id",
        "name",
        missing_fields=text.re_replace(",$", ""),
        missing_count=count.cast("int64"),
    )
    return out.filter(out.missing_count > 0)
