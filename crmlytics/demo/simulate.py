"""Vectorised simulators for each demo table (numpy Generator in, arrays and frames out).

Time inside the simulation is a float number of days relative to the end of the as-of date
(midnight after it): every visible event has ``t < 0``. :class:`Clock` turns those floats into
timestamps (whole seconds) and anything at or after the end of the as-of day into a null.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass

import numpy as np
import pandas as pd

from crmlytics.demo import names
from crmlytics.demo.params import FUNNEL_STAGES, DemoParams

DAY_SECONDS = 86_400
REFERENCE_AS_OF = _dt.date(2025, 6, 30)  # the absolute dates in names/params are for this as-of

# Relative weight of each hour of the day for orders and contacts (shops and apps, 8:00-22:00).
_HOUR_WEIGHTS = np.array(
    [0, 0, 0, 0, 0, 0, 0, 1, 3, 5, 7, 7, 6, 5, 5, 5, 5, 5, 5, 6, 7, 6, 4, 1], dtype=float
)
_HOUR_CDF = np.cumsum(_HOUR_WEIGHTS) / _HOUR_WEIGHTS.sum()

TYPES = ("individual", "company", "government", "partner")
ACQUISITION_CHANNELS = ("store", "web", "app", "wechat", "sales_rep", "partner", "referral")
_ACQUISITION_P = {
    "individual": (0.30, 0.25, 0.20, 0.25, 0.0, 0.0),
    "organisation": (0.10, 0.20, 0.0, 0.0, 0.50, 0.20),
}
ORDER_CHANNELS = ("store", "web", "app", "wechat", "phone")
_ORDER_CHANNEL_P = {
    "individual": (0.35, 0.20, 0.20, 0.25, 0.0),
    "organisation": (0.15, 0.30, 0.0, 0.10, 0.45),
}


class Clock:
    """Converts simulation days (negative floats, 0 = end of the as-of day) to timestamps."""

    def __init__(self, as_of: _dt.date) -> None:
        self.as_of = as_of
        self.end = np.datetime64(as_of + _dt.timedelta(days=1), "s")
        self.shift_days = (as_of - REFERENCE_AS_OF).days

    def day_of(self, iso_date: str) -> int:
        """Simulation day index of a reference date, shifted with the as-of date."""
        day = _dt.date.fromisoformat(iso_date) + _dt.timedelta(days=self.shift_days)
        return (day - self.as_of).days - 1

    def shifted(self, iso_date: str) -> str:
        """A reference date moved by as much as the as-of date moved from the reference."""
        return (_dt.date.fromisoformat(iso_date) + _dt.timedelta(days=self.shift_days)).isoformat()

    def day_index(self, iso_date: str) -> int:
        """Simulation day index of an actual (not shifted) date."""
        return (_dt.date.fromisoformat(iso_date) - self.as_of).days - 1

    def timestamps(self, days: np.ndarray) -> np.ndarray:
        """``datetime64[s]`` for each day value; NaT where it is NaN or not before the end."""
        days = np.asarray(days, dtype=float)
        seconds = np.floor(days * DAY_SECONDS)
        visible = np.isfinite(seconds) & (seconds < 0)
        offsets = np.where(visible, seconds, 0).astype(np.int64).astype("timedelta64[s]")
        out = self.end + offsets
        out[~visible] = np.datetime64("NaT")
        return out

    def dates(self, day_index: np.ndarray) -> np.ndarray:
        """``datetime.date`` objects (object array) for integer day indices."""
        end_day = self.end.astype("datetime64[D]")
        return (end_day + np.asarray(day_index, dtype=np.int64)).astype(object)


def business_time(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """The same calendar day as ``days`` at a time drawn from shop and app opening hours."""
    n = len(days)
    hour = np.searchsorted(_HOUR_CDF, rng.random(n), side="right")
    return np.floor(days) + (hour + rng.random(n)) / 24.0


def _pick(rng: np.random.Generator, pairs: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    keys = np.array([k for k, _ in pairs], dtype=object)
    p = np.array([w for _, w in pairs], dtype=float)
    return keys[rng.choice(len(keys), size=n, p=p / p.sum())]


def _lookup(pairs: tuple[tuple[str, float], ...], keys: np.ndarray) -> np.ndarray:
    table = dict(pairs)
    return np.array([table[k] for k in TYPES])[keys]


def _ids(prefix: str, n: int, width: int) -> np.ndarray:
    return np.array([f"{prefix}{i:0{width}d}" for i in range(1, n + 1)], dtype=object)


# ------------------------------------------------------------------------------------------------
# customers and their latent purchase behaviour
# ------------------------------------------------------------------------------------------------
@dataclass
class Population:
    """Per-customer simulation state, in customer_id order (= sign-up order)."""

    ids: np.ndarray
    signup_day: np.ndarray  # int day index
    kind: np.ndarray  # index into TYPES
    organisation: np.ndarray  # bool: not an individual
    region: np.ndarray  # region name
    city: np.ndarray  # index into _CITIES
    english: np.ndarray  # bool: English name
    prospect: np.ndarray  # planted never-buyer
    t0: np.ndarray  # first purchase (NaN if none by the as-of date)
    buyer: np.ndarray
    lam: np.ndarray  # BG/NBD purchase rate per day
    p_drop: np.ndarray  # BG/NBD drop-out probability per repeat purchase
    drop_after: np.ndarray  # drop out after this many repeats (geometric)
    nu: np.ndarray  # Gamma-Gamma spend rate; mean order value p / nu
    favourite: np.ndarray  # favourite category index
    order_channel: np.ndarray  # preferred order channel
    manager: np.ndarray  # account manager index (0-based sales staff)
    dnc: np.ndarray
    repeats: np.ndarray | None = None
    dropout_t: np.ndarray | None = None
    closed_t: np.ndarray | None = None
    referred_by: np.ndarray | None = None  # index of the referrer or -1


_CITIES = [
    (region, city, pinyin, area)
    for region, (_, cities) in names.REGIONS.items()
    for city, pinyin, area in cities
]


def simulate_population(
    rng: np.random.Generator, n: int, params: DemoParams, clock: Clock
) -> Population:
    cp, bg, gg = params.customers, params.bgnbd, params.gamma_gamma
    offset = 1 + np.floor(cp.signup_window_days * rng.random(n) ** cp.signup_recency_power)
    signup_day = np.sort(-offset.astype(np.int64))  # customer ids follow sign-up order
    type_p = np.array([w for _, w in cp.type_shares])
    kind = rng.choice(len(TYPES), size=n, p=type_p / type_p.sum())
    region_names = list(names.REGIONS)
    region_p = np.array([names.REGIONS[r][0] for r in region_names])
    region_idx = rng.choice(len(region_names), size=n, p=region_p / region_p.sum())
    # a city inside the region, uniformly
    city_start = np.cumsum([0] + [len(names.REGIONS[r][1]) for r in region_names])
    city_count = np.diff(city_start)
    city = city_start[region_idx] + np.floor(rng.random(n) * city_count[region_idx]).astype(int)

    prospect = rng.random(n) < cp.prospect_share
    same_day = rng.random(n) < cp.first_purchase_same_day_share
    delay = np.where(same_day, 0.0, rng.exponential(cp.first_purchase_delay_mean_days, n))
    t0 = business_time(rng, signup_day + delay)
    buyer = ~prospect & (t0 < 0)
    t0 = np.where(buyer, t0, np.nan)

    lam = rng.gamma(bg.r, 1.0 / bg.alpha_days, n)
    p_drop = np.clip(rng.beta(bg.a, bg.b, n), 1e-9, 1.0)
    drop_after = rng.geometric(p_drop)
    nu = rng.gamma(gg.q, 1.0 / gg.gamma, n)
    cat_p = np.ones(len(names.CATEGORIES)) / len(names.CATEGORIES)
    favourite = rng.choice(len(cat_p), size=n, p=cat_p)

    organisation = kind != 0
    order_channel = np.where(
        organisation,
        rng.choice(len(ORDER_CHANNELS), size=n, p=_ORDER_CHANNEL_P["organisation"]),
        rng.choice(len(ORDER_CHANNELS), size=n, p=_ORDER_CHANNEL_P["individual"]),
    )
    english = rng.random(n) < cp.english_name_share
    return Population(
        ids=_ids("C", n, max(6, len(str(n)))),
        signup_day=signup_day,
        kind=kind,
        organisation=organisation,
        region=np.array(region_names, dtype=object)[region_idx],
        city=city,
        english=english,
        prospect=prospect,
        t0=t0,
        buyer=buyer,
        lam=lam,
        p_drop=p_drop,
        drop_after=drop_after,
        nu=nu,
        favourite=favourite,
        order_channel=order_channel,
        manager=rng.integers(0, params.interactions.sales_staff, n),
        dnc=rng.random(n) < cp.do_not_contact_share,
    )


@dataclass
class Orders:
    customer: np.ndarray  # customer index
    t: np.ndarray  # order time (simulation days)
    value: np.ndarray  # gross order value (Gamma-Gamma)
    ids: np.ndarray
    channel: np.ndarray


def simulate_orders(rng: np.random.Generator, pop: Population, params: DemoParams) -> Orders:
    """BG/NBD repeat purchases after each buyer's first purchase, valued by Gamma-Gamma.

    Given rate ``lambda`` and a drop-out after the ``k``-th repeat, the repeats in ``(0, T]`` are
    the first ``min(N, k)`` of ``N ~ Poisson(lambda T)`` uniform times: exactly the BG/NBD
    process observed up to the as-of date.
    """
    b = np.flatnonzero(pop.buyer)
    t0, T = pop.t0[b], -pop.t0[b]
    n_poisson = rng.poisson(pop.lam[b] * T)
    kept = np.minimum(n_poisson, pop.drop_after[b])
    dead = pop.drop_after[b] <= n_poisson
    owner = np.repeat(np.arange(len(b)), n_poisson)
    u = rng.random(len(owner))
    u = u[np.lexsort((u, owner))]  # owner is already sorted: sorts u within each buyer
    starts = np.cumsum(n_poisson) - n_poisson
    rank = np.arange(len(owner)) - starts[owner]
    keep = rank < kept[owner]
    repeat_owner = owner[keep]
    repeat_t = t0[repeat_owner] + u[keep] * T[repeat_owner]

    repeats = np.zeros(len(pop.ids), dtype=np.int64)
    repeats[b] = kept
    dropout_t = np.full(len(pop.ids), np.nan)
    last = starts[dead] + kept[dead] - 1
    dropout_t[b[dead]] = t0[dead] + u[last] * T[dead]
    pop.repeats, pop.dropout_t = repeats, dropout_t

    customer = np.concatenate([b, b[repeat_owner]])
    t = np.concatenate([pop.t0[b], business_time(rng, repeat_t)])
    value = rng.gamma(params.gamma_gamma.p, 1.0 / pop.nu[customer])
    order = np.lexsort((customer, np.floor(t * DAY_SECONDS)))
    customer, t, value = customer[order], t[order], value[order]
    preferred = rng.random(len(t)) < params.basket.preferred_channel_share
    channel = np.where(
        preferred,
        pop.order_channel[customer],
        rng.integers(0, len(ORDER_CHANNELS), len(t)),
    )
    return Orders(
        customer=customer,
        t=t,
        value=value,
        ids=_ids("O", len(t), max(8, len(str(len(t))))),
        channel=np.array(ORDER_CHANNELS, dtype=object)[channel],
    )


def finish_population(
    rng: np.random.Generator, pop: Population, params: DemoParams, orders: Orders
) -> None:
    """Referrals (to earlier customers, heavy buyers more often) and closed accounts."""
    cp = params.customers
    n = len(pop.ids)
    orders_per_customer = np.bincount(orders.customer, minlength=n)
    weight = np.where(pop.buyer, 1.0 + orders_per_customer, 0.3)
    cum = np.cumsum(weight)
    earlier = np.searchsorted(pop.signup_day, pop.signup_day, side="left")  # signed up before
    referred = (rng.random(n) < cp.referral_share) & (earlier > 0)
    target = rng.random(n) * cum[np.maximum(earlier - 1, 0)]
    referrer = np.searchsorted(cum, target, side="right")
    pop.referred_by = np.where(referred, np.minimum(referrer, earlier - 1), -1)

    assert pop.dropout_t is not None
    closes = np.isfinite(pop.dropout_t) & (rng.random(n) < cp.closed_share_of_dropouts)
    closed_t = pop.dropout_t + rng.exponential(cp.close_delay_mean_days, n)
    closed_t = business_time(rng, closed_t)
    pop.closed_t = np.where(closes & (closed_t < 0), closed_t, np.nan)


def customers_frame(
    rng: np.random.Generator, pop: Population, params: DemoParams, clock: Clock
) -> pd.DataFrame:
    n = len(pop.ids)
    seq = np.arange(1, n + 1)
    surname_p = np.array([w for *_, w in names.SURNAMES])
    surname = rng.choice(len(names.SURNAMES), size=n, p=surname_p / surname_p.sum())
    given = rng.integers(0, len(names.GIVEN_NAMES), n)
    first = rng.integers(0, len(names.ENGLISH_FIRST), n)
    last = rng.integers(0, len(names.ENGLISH_LAST), n)
    brand = rng.integers(0, len(names.BRANDS), n)
    industry = rng.integers(0, len(names.INDUSTRIES), n)
    suffix = rng.integers(0, 3, n)
    bureau = rng.integers(0, len(names.BUREAUS), n)
    mobile_prefix = rng.choice(np.array([*range(130, 140), *range(150, 160), *range(186, 190)]), n)
    digits = rng.integers(0, 100_000_000, n)

    name, email, phone = [], [], []
    for i in range(n):
        kind, english, s = TYPES[pop.kind[i]], pop.english[i], seq[i]
        _, city, city_py, area = _CITIES[pop.city[i]]
        if kind == "individual":
            if english:
                f, last_name = names.ENGLISH_FIRST[first[i]], names.ENGLISH_LAST[last[i]]
                name.append(f"{f} {last_name}")
                email.append(f"{f.lower()}.{last_name.lower()}{s}@example.com")
            else:
                sur, sur_py, _ = names.SURNAMES[surname[i]]
                giv, giv_py = names.GIVEN_NAMES[given[i]]
                name.append(sur + giv)
                email.append(f"{giv_py}.{sur_py}{s}@example.com")
            phone.append(f"{mobile_prefix[i]}{digits[i]:08d}")
            continue
        if kind == "government":
            name.append(city + names.BUREAUS[bureau[i]])
            email.append(f"office{s}@{city_py}.gov.example.com")
        elif english:
            eb = names.ENGLISH_BRANDS[brand[i] % len(names.ENGLISH_BRANDS)]
            ei = names.ENGLISH_INDUSTRIES[industry[i] % len(names.ENGLISH_INDUSTRIES)]
            name.append(f"{eb} {ei} {names.ENGLISH_SUFFIXES[suffix[i]]}")
            email.append(f"sales{s}@{eb.lower()}.example.com")
        else:
            br, br_py = names.BRANDS[brand[i]]
            if kind == "partner":
                name.append(city + br + names.PARTNER_SUFFIXES[suffix[i]])
            else:
                name.append(
                    city + br + names.INDUSTRIES[industry[i]] + names.COMPANY_SUFFIXES[suffix[i]]
                )
            email.append(f"contact{s}@{br_py}.example.com")
        phone.append(f"{area}-{digits[i]:08d}")

    cp = params.customers
    email_arr = np.array(email, dtype=object)
    email_arr[rng.random(n) < cp.email_missing_share] = None
    phone_arr = np.array(phone, dtype=object)
    phone_arr[rng.random(n) < cp.phone_missing_share] = None

    acquisition = np.where(
        pop.organisation,
        rng.choice(6, size=n, p=_ACQUISITION_P["organisation"]),
        rng.choice(6, size=n, p=_ACQUISITION_P["individual"]),
    )
    assert pop.referred_by is not None and pop.closed_t is not None
    acquisition = np.where(pop.referred_by >= 0, 6, acquisition)
    referred_by = np.where(pop.referred_by >= 0, pop.ids[np.maximum(pop.referred_by, 0)], None)

    median_limit = np.array([20_000.0, 200_000.0, 500_000.0, 100_000.0])[pop.kind]
    limit = np.round(median_limit * rng.lognormal(0.0, 0.6, n), -3)
    limit = np.where(pop.organisation | (rng.random(n) < 0.6), limit, np.nan)

    return pd.DataFrame(
        {
            "customer_id": pop.ids,
            "name": np.array(name, dtype=object),
            "customer_type": np.array(TYPES, dtype=object)[pop.kind],
            "region": pop.region,
            "channel": np.array(ACQUISITION_CHANNELS, dtype=object)[acquisition],
            "signup_date": clock.dates(pop.signup_day),
            "email": email_arr,
            "phone": phone_arr,
            "do_not_contact": pop.dnc,
            "referred_by": referred_by,
            "credit_limit": limit,
            "closed_at": clock.timestamps(pop.closed_t),
        }
    )


# ------------------------------------------------------------------------------------------------
# products and transaction lines
# ------------------------------------------------------------------------------------------------
@dataclass
class Catalogue:
    ids: np.ndarray
    name: np.ndarray
    category: np.ndarray  # category index
    price: np.ndarray
    launch_day: np.ndarray
    members: np.ndarray  # (categories, 5) product indices
    within_cdf: np.ndarray  # (categories, 5) popularity CDF inside each category
    global_cdf: np.ndarray
    base: np.ndarray  # per category: its oldest product (always launched)
    pair_next: np.ndarray  # per product: planted partner index or -1
    pair_p: np.ndarray


def catalogue(rng: np.random.Generator, params: DemoParams, clock: Clock) -> Catalogue:
    cats = list(names.CATEGORIES)
    ids = np.array([p[0] for p in names.PRODUCTS], dtype=object)
    category = np.array([cats.index(p[2]) for p in names.PRODUCTS])
    launch_day = np.array([clock.day_of(p[4]) for p in names.PRODUCTS])
    popularity = 1.0 / (1.0 + rng.permutation(len(ids))) ** 0.8
    members = np.stack([np.flatnonzero(category == c) for c in range(len(cats))])
    within = popularity[members]
    within_cdf = np.cumsum(within, axis=1) / within.sum(axis=1, keepdims=True)
    base = members[np.arange(len(cats)), np.argmin(launch_day[members], axis=1)]
    pair_next = np.full(len(ids), -1)
    pair_p = np.zeros(len(ids))
    index = {pid: i for i, pid in enumerate(ids)}
    for head, partner, p in params.basket.planted_pairs:
        pair_next[index[head]], pair_p[index[head]] = index[partner], p
    return Catalogue(
        ids=ids,
        name=np.array([p[1] for p in names.PRODUCTS], dtype=object),
        category=category,
        price=np.array([p[3] for p in names.PRODUCTS]),
        launch_day=launch_day,
        members=members,
        within_cdf=within_cdf,
        global_cdf=np.cumsum(popularity) / popularity.sum(),
        base=base,
        pair_next=pair_next,
        pair_p=pair_p,
    )


def products_frame(cat: Catalogue, clock: Clock) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product_id": cat.ids,
            "name": cat.name,
            "category": np.array(list(names.CATEGORIES), dtype=object)[cat.category],
            "price": cat.price,
            "launch_date": clock.dates(cat.launch_day),
        }
    )


def _draw_products(
    rng: np.random.Generator, cat: Catalogue, favourite: np.ndarray, share: float
) -> np.ndarray:
    n = len(favourite)
    u = rng.random(n)
    from_global = np.minimum(np.searchsorted(cat.global_cdf, u, side="right"), len(cat.ids) - 1)
    slot = np.minimum((u[:, None] >= cat.within_cdf[favourite]).sum(axis=1), 4)
    from_favourite = cat.members[favourite, slot]
    return np.where(rng.random(n) < share, from_favourite, from_global)


def transactions_frame(
    rng: np.random.Generator,
    pop: Population,
    orders: Orders,
    cat: Catalogue,
    params: DemoParams,
    clock: Clock,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Sale lines of every order plus the returns; also each order's first product index."""
    bp = params.basket
    n = len(orders.t)
    n_lines = 1 + rng.choice(len(bp.lines_per_order), size=n, p=bp.lines_per_order)
    favourite = pop.favourite[orders.customer]
    order_day = np.floor(orders.t)
    slots = np.full((n, 5), -1)
    for j in range(5):
        drawn = _draw_products(rng, cat, favourite, bp.favourite_category_share)
        # a product not launched yet on the order day becomes its category's oldest product
        late = cat.launch_day[drawn] > order_day
        drawn = np.where(late, cat.base[cat.category[drawn]], drawn)
        column = np.where(j < n_lines, drawn, -1)
        if j > 0:  # planted pairs: a head's (launched) partner follows it
            prev = np.maximum(slots[:, j - 1], 0)
            partner = cat.pair_next[prev]
            head = (slots[:, j - 1] >= 0) & (partner >= 0)
            head &= cat.launch_day[np.maximum(partner, 0)] <= order_day
            follow = head & (rng.random(n) < cat.pair_p[prev])
            column = np.where(follow, partner, column)
        slots[:, j] = column
    for j in range(1, 5):  # a product appears once per order
        dup = (slots[:, j : j + 1] == slots[:, :j]).any(axis=1) & (slots[:, j] >= 0)
        slots[dup, j] = -1

    valid = slots >= 0
    row, col = np.nonzero(valid)
    line_no = np.cumsum(valid, axis=1)[row, col]
    product = slots[row, col]
    weight = cat.price[product] * rng.gamma(4.0, 0.25, len(row))
    share = weight / np.bincount(row, weight, minlength=n)[row]
    amount = np.maximum(np.round(orders.value[row] * share, 2), 0.01)
    quantity = np.maximum(1.0, np.round(amount / cat.price[product]))
    category = cat.category[product]
    cost_ratio = np.array([v[1] for v in names.CATEGORIES.values()])[category]
    cost_ratio = np.clip(cost_ratio + rng.normal(0.0, bp.cost_noise_sd, len(row)), 0.5, 0.85)
    cost = np.round(amount * cost_ratio, 2)
    categories = np.array(list(names.CATEGORIES), dtype=object)

    sales = pd.DataFrame(
        {
            "order_id": orders.ids[row],
            "line_no": line_no.astype(np.int64),
            "kind": "sale",
            "customer_id": pop.ids[orders.customer[row]],
            "order_ts": clock.timestamps(orders.t[row]),
            "product_id": cat.ids[product],
            "category": categories[category],
            "quantity": quantity,
            "amount": amount,
            "cost": cost,
            "channel": orders.channel[row],
        }
    )

    return_rate = np.array([v[2] for v in names.CATEGORIES.values()])[category]
    delay = 1 + np.minimum(np.floor(rng.exponential(bp.return_delay_mean_days, len(row))), 29)
    return_t = business_time(rng, np.floor(orders.t[row]) + delay)
    returned = (rng.random(len(row)) < return_rate) & (return_t < 0)
    returns = sales[returned].copy()
    returns["kind"] = "return"
    returns["order_ts"] = clock.timestamps(return_t[returned])
    for column in ("quantity", "amount", "cost"):
        returns[column] = -returns[column]
    lines = pd.concat([sales, returns], ignore_index=True)
    lines = lines.sort_values(["order_ts", "order_id", "line_no", "kind"], kind="stable")
    return lines.reset_index(drop=True), slots[:, 0]


# ------------------------------------------------------------------------------------------------
# interactions, complaints, opportunities, campaigns
# ------------------------------------------------------------------------------------------------
_INTERACTION_KINDS = ("visit", "call", "care", "service")
_KIND_P = {"organisation": (0.35, 0.35, 0.15, 0.15), "individual": (0.05, 0.25, 0.40, 0.30)}
_CHANNELS_BY_KIND = {
    "visit": (("visit",), (1.0,)),
    "call": (("phone",), (1.0,)),
    "care": (("wechat", "sms", "email", "phone"), (0.4, 0.25, 0.2, 0.15)),
    "service": (("call_center", "web", "wechat"), (0.5, 0.25, 0.25)),
}
_OUTCOMES_BY_KIND = {
    "visit": (("order_intent", "follow_up", "no_need"), (0.25, 0.55, 0.20)),
    "call": (("reached", "no_answer", "callback"), (0.55, 0.30, 0.15)),
    "care": (("sent", "replied"), (0.7, 0.3)),
    "service": (("resolved", "escalated", "pending"), (0.75, 0.10, 0.15)),
}


def _staff(index: np.ndarray) -> np.ndarray:
    return np.array([f"E{i + 1:03d}" for i in range(int(index.max(initial=0)) + 1)], dtype=object)[
        index
    ]


def interactions_frame(
    rng: np.random.Generator, pop: Population, params: DemoParams, clock: Clock
) -> pd.DataFrame:
    ip = params.interactions
    n = len(pop.ids)
    assert pop.dropout_t is not None and pop.closed_t is not None
    start = pop.signup_day + rng.random(n)
    end = np.where(
        pop.prospect,
        pop.signup_day + ip.prospect_active_days,
        pop.dropout_t + ip.after_dropout_days,
    )
    end = np.where(np.isnan(end), 0.0, end)
    end = np.minimum(end, np.where(np.isnan(pop.closed_t), 0.0, pop.closed_t))
    end = np.minimum(end, 0.0)
    duration = np.maximum(end - start, 0.0)
    rate = _lookup(ip.rate_per_day, pop.kind)
    count = rng.poisson(rate * duration)
    owner = np.repeat(np.arange(n), count)
    t = business_time(rng, start[owner] + rng.random(len(owner)) * duration[owner])
    t = np.where(t < 0, t, np.nan)  # snapping to opening hours may not pass the as-of day
    keep = np.isfinite(t)
    owner, t = owner[keep], t[keep]
    order = np.lexsort((owner, np.floor(t * DAY_SECONDS)))
    owner, t = owner[order], t[order]
    m = len(owner)

    org = pop.organisation[owner]
    kind = np.where(
        org,
        rng.choice(4, size=m, p=_KIND_P["organisation"]),
        rng.choice(4, size=m, p=_KIND_P["individual"]),
    )
    channel = np.empty(m, dtype=object)
    outcome = np.empty(m, dtype=object)
    for k, key in enumerate(_INTERACTION_KINDS):
        mask = kind == k
        options, p = _CHANNELS_BY_KIND[key]
        channel[mask] = np.array(options, dtype=object)[rng.choice(len(options), mask.sum(), p=p)]
        options, p = _OUTCOMES_BY_KIND[key]
        outcome[mask] = np.array(options, dtype=object)[rng.choice(len(options), mask.sum(), p=p)]
    sales_contact = kind <= 1
    own_manager = rng.random(m) < 0.85
    staff = np.where(
        sales_contact,
        np.where(own_manager, pop.manager[owner], rng.integers(0, ip.sales_staff, m)),
        ip.sales_staff + rng.integers(0, ip.service_staff, m),
    )
    return pd.DataFrame(
        {
            "interaction_id": _ids("I", m, max(8, len(str(m)))),
            "customer_id": pop.ids[owner],
            "ts": clock.timestamps(t),
            "channel": channel,
            "kind": np.array(_INTERACTION_KINDS, dtype=object)[kind],
            "staff_id": _staff(staff),
            "outcome": outcome,
        }
    )


def complaints_frame(
    rng: np.random.Generator,
    pop: Population,
    orders: Orders,
    first_product: np.ndarray,
    cat: Catalogue,
    params: DemoParams,
    clock: Clock,
) -> pd.DataFrame:
    cp = params.complaints
    # a customer's last order before dropping out draws complaints more often: complaints
    # foreshadow churn, while the purchase process itself stays exactly BG/NBD
    final = np.zeros(len(orders.t), dtype=bool)
    last_order = np.full(len(pop.ids), -1)
    last_order[orders.customer] = np.arange(len(orders.t))  # orders are in time order
    assert pop.dropout_t is not None
    dropped = np.flatnonzero(np.isfinite(pop.dropout_t) & (last_order >= 0))
    final[last_order[dropped]] = True
    rate = np.where(final, cp.rate_per_order * cp.final_order_factor, cp.rate_per_order)
    picked = np.flatnonzero(rng.random(len(orders.t)) < rate)
    m = len(picked)
    categories = np.array([k for k, _ in cp.category_shares], dtype=object)
    cat_p = np.array([w for _, w in cp.category_shares])
    category = rng.choice(len(categories), size=m, p=cat_p / cat_p.sum())
    severity = 1 + rng.choice(3, size=m, p=cp.severity_shares)
    report_delay = np.array([2.0, 5.0, 3.0, 2.0])[category]
    opened = orders.t[picked] + 0.1 + rng.exponential(report_delay)
    handled = opened + rng.exponential(np.array(cp.first_response_mean_hours)[severity - 1] / 24)
    mean_days = np.array([v for _, v in cp.resolution_mean_days])[category]
    mean_days = mean_days * (1 + cp.severity_resolution_factor * (severity - 1))
    resolved = handled + rng.gamma(1.5, mean_days / 1.5)
    resolved[rng.random(m) < cp.never_resolved_share] = np.nan
    followed = resolved + 1 + 6 * rng.random(m)
    followed[rng.random(m) >= cp.followed_up_share] = np.nan
    resolution_days = resolved - opened
    latent = (
        cp.satisfaction_intercept
        + cp.satisfaction_per_log_day * np.log1p(np.nan_to_num(resolution_days))
        + cp.satisfaction_per_severity * (severity - 1)
        + rng.normal(0.0, cp.satisfaction_noise_sd, m)
    )
    satisfaction = np.clip(np.round(latent), 1, 5)

    # the order's first line names the product of delivery and quality complaints
    order_ids = orders.ids[picked]
    product = first_product[picked]
    about_product = (category == 0) | (category == 1)
    product_id = np.where(about_product, cat.ids[product], None)
    order_id = np.where((category == 3) & (rng.random(m) < 0.5), None, order_ids)
    channels = np.array(["phone", "wechat", "web", "email", "store"], dtype=object)
    channel = channels[rng.choice(5, size=m, p=(0.35, 0.25, 0.2, 0.1, 0.1))]

    customer = orders.customer[picked]
    english = pop.english[customer] | (rng.random(m) < cp.english_share)
    template_pick = rng.random(m)
    days = rng.integers(2, 11, m)
    amount = np.round(orders.value[picked] * rng.uniform(0.05, 0.4, m), 0).astype(int)
    split = [full.split(" ", 1) for full in cat.name]
    description = []
    for i in range(m):
        lang = "en" if english[i] else "zh"
        options = names.COMPLAINT_TEMPLATES[categories[category[i]]][lang]
        template = options[int(template_pick[i] * len(options))]
        zh, en = split[product[i]]
        description.append(
            template.format(product=en if english[i] else zh, days=days[i], amount=amount[i])
        )

    opened_ts = clock.timestamps(opened)
    handled_ts = clock.timestamps(handled)
    resolved_ts = clock.timestamps(resolved)
    followed_ts = clock.timestamps(followed)
    status = np.where(
        ~np.isnat(followed_ts),
        "closed",
        np.where(
            ~np.isnat(resolved_ts),
            "resolved",
            np.where(~np.isnat(handled_ts), "in_progress", "open"),
        ),
    ).astype(object)
    frame = pd.DataFrame(
        {
            "complaint_id": None,
            "customer_id": pop.ids[customer],
            "opened_at": opened_ts,
            "category": categories[category],
            "severity": severity.astype(np.int64),
            "channel": channel,
            "product_id": product_id,
            "order_id": order_id,
            "description": np.array(description, dtype=object),
            "handled_at": handled_ts,
            "resolved_at": resolved_ts,
            "followed_up_at": followed_ts,
            "satisfaction": pd.array(
                np.where(np.isnat(followed_ts), np.nan, satisfaction), dtype="Int64"
            ),
            "status": status,
        }
    )
    frame = frame[~np.isnat(opened_ts)].sort_values(["opened_at", "customer_id"], kind="stable")
    frame["complaint_id"] = _ids("K", len(frame), max(7, len(str(len(frame)))))
    return frame.reset_index(drop=True)


def opportunities_frames(
    rng: np.random.Generator, pop: Population, params: DemoParams, clock: Clock
) -> tuple[pd.DataFrame, pd.DataFrame]:
    fp = params.funnel
    n_opp = round(fp.opportunities_per_customer * len(pop.ids))
    weight = _lookup(fp.customer_type_weight, pop.kind)
    customer = rng.choice(len(pop.ids), size=n_opp, p=weight / weight.sum())
    start = np.maximum(pop.signup_day[customer], -fp.history_days).astype(float)
    created = business_time(rng, start + rng.random(n_opp) * (-start))
    created = np.where(created < 0, created, start)  # opening hours cannot pass the as-of day
    order = np.lexsort((customer, np.floor(created * DAY_SECONDS)))
    customer, created = customer[order], created[order]

    stages = len(FUNNEL_STAGES)
    entered = np.full((n_opp, stages), np.nan)
    stuck_stage = np.where(
        rng.random(n_opp) < fp.stuck_share, rng.integers(0, stages - 1, n_opp), -1
    )
    current = created.copy()
    active = np.ones(n_opp, dtype=bool)
    closed = np.full(n_opp, np.nan)
    outcome = np.full(n_opp, "open", dtype=object)
    for s in range(stages - 1):
        entered[active, s] = current[active]
        active &= stuck_stage != s
        leave = business_time(rng, current + rng.gamma(2.0, fp.dwell_mean_days[s] / 2.0, n_opp))
        leave = np.maximum(leave, current)
        active &= leave < 0  # still in this stage at the as-of date
        advance = rng.random(n_opp) < fp.conversion[s]
        lost = active & ~advance
        closed[lost], outcome[lost] = leave[lost], "lost"
        active &= advance
        current = np.where(active, leave, current)
    entered[active, stages - 1] = current[active]
    closed[active], outcome[active] = current[active], "won"

    reasons = _pick(rng, fp.lost_reasons, n_opp)
    lost_mask = outcome == "lost"
    competitor = np.array(names.COMPETITORS, dtype=object)[
        rng.integers(0, len(names.COMPETITORS), n_opp)
    ]
    named = (lost_mask & (reasons == "competitor")) | (
        rng.random(n_opp) < fp.competitor_named_share
    )
    kind = pop.kind[customer]
    median = _lookup(fp.median_value, kind)
    ids = _ids("OPP", n_opp, max(6, len(str(n_opp))))
    opportunities = pd.DataFrame(
        {
            "opportunity_id": ids,
            "customer_id": pop.ids[customer],
            "source": _pick(rng, fp.sources, n_opp),
            "region": pop.region[customer],
            "owner": _staff(pop.manager[customer]),
            "expected_value": np.round(median * rng.lognormal(0.0, 0.8, n_opp), -2),
            "competitor": np.where(named, competitor, None),
            "created_at": clock.timestamps(created),
            "closed_at": clock.timestamps(closed),
            "outcome": outcome,
            "lost_reason": np.where(lost_mask, reasons, None),
        }
    )
    row, col = np.nonzero(np.isfinite(entered))
    stage_rows = pd.DataFrame(
        {
            "opportunity_id": ids[row],
            "stage": np.array(FUNNEL_STAGES, dtype=object)[col],
            "entered_at": clock.timestamps(entered[row, col]),
        }
    )
    return opportunities, stage_rows


def campaign_touches_frame(
    rng: np.random.Generator, pop: Population, params: DemoParams, clock: Clock
) -> pd.DataFrame:
    assert pop.closed_t is not None
    parts = []
    for campaign in params.campaigns:
        day = clock.day_index(campaign.sent)
        if day >= 0:
            continue
        still_open = ~(pop.closed_t < day)  # NaN (never closed) compares False
        eligible = (pop.signup_day < day) & ~pop.dnc & still_open
        who = np.flatnonzero(eligible & (rng.random(len(pop.ids)) < campaign.target_share))
        m = len(who)
        sent = day + 9 / 24 + rng.random(m) * 9 / 24
        opened = sent + rng.exponential(0.25, m)
        opened[rng.random(m) >= campaign.open_rate] = np.nan
        clicked = opened + rng.exponential(10 / 1440, m)
        clicked[rng.random(m) >= campaign.click_rate] = np.nan
        converted = clicked + rng.exponential(1.0, m)
        converted[rng.random(m) >= campaign.conversion_rate] = np.nan
        parts.append(
            pd.DataFrame(
                {
                    "campaign_id": campaign.campaign_id,
                    "customer_id": pop.ids[who],
                    "sent_at": clock.timestamps(sent),
                    "opened_at": clock.timestamps(opened),
                    "clicked_at": clock.timestamps(clicked),
                    "converted_at": clock.timestamps(converted),
                    "cost": np.full(m, campaign.cost_per_touch),
                }
            )
        )
    if not parts:
        columns = ["campaign_id", "customer_id", "sent_at", "opened_at", "clicked_at"]
        return pd.DataFrame(columns=[*columns, "converted_at", "cost"])
    return pd.concat(parts, ignore_index=True)


def customer_truth_frame(pop: Population, params: DemoParams, clock: Clock) -> pd.DataFrame:
    """The latent state of every customer: what a perfect model would know."""
    assert pop.repeats is not None and pop.dropout_t is not None
    T = np.where(pop.buyer, -pop.t0, np.nan)
    return pd.DataFrame(
        {
            "customer_id": pop.ids,
            "prospect": pop.prospect,
            "buyer": pop.buyer,
            "first_purchase_at": clock.timestamps(pop.t0),
            "T_days": T,
            "lambda_per_day": pop.lam,
            "p_dropout": pop.p_drop,
            "repeat_purchases": pop.repeats,
            "alive": pop.buyer & np.isnan(pop.dropout_t),
            "dropped_out_at": clock.timestamps(pop.dropout_t),
            "nu": pop.nu,
            "mean_order_value": params.gamma_gamma.p / pop.nu,
            "favourite_category": np.array(list(names.CATEGORIES), dtype=object)[pop.favourite],
        }
    )


# ------------------------------------------------------------------------------------------------
# receivables: invoices and payments; birth dates for the care lists
# ------------------------------------------------------------------------------------------------
def receivables_frames(
    rng: np.random.Generator,
    pop: Population,
    transactions: pd.DataFrame,
    params: DemoParams,
    clock: Clock,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Invoices for organisations' orders (and a share of individuals'), and their payments
    (:class:`crmlytics.demo.params.ReceivablesParams`); nothing paid after the as-of date."""
    rp = params.receivables
    sales = transactions[transactions["kind"] == "sale"]
    per = sales.groupby("order_id", sort=True).agg(
        customer_id=("customer_id", "first"),
        order_ts=("order_ts", "min"),
        amount=("amount", "sum"),
    )
    who = pd.Index(pop.ids).get_indexer(per["customer_id"])
    invoiced = pop.organisation[who] | (rng.random(len(per)) < rp.individual_invoiced_share)
    per, who = per[invoiced], who[invoiced]
    order_day = (per["order_ts"].to_numpy() - clock.end) / np.timedelta64(1, "D")
    issue_index = np.floor(order_day) + rng.integers(0, 3, len(per))
    issue_t = business_time(rng, issue_index)
    kept = issue_t < 0
    per, who, issue_t, issue_index = per[kept], who[kept], issue_t[kept], issue_index[kept]
    n = len(per)
    terms = _lookup(rp.payment_terms_days, pop.kind[who])
    end_day = clock.end.astype("datetime64[D]")
    due_at = (end_day + (issue_index + terms).astype(np.int64)).astype("datetime64[s]")
    amount = np.round(per["amount"].to_numpy(), 2)
    order = np.lexsort((per.index.to_numpy(), issue_t))
    invoice_ids = np.empty(n, dtype=object)
    invoice_ids[order] = _ids("INV", n, 7)
    invoices = pd.DataFrame(
        {
            "invoice_id": invoice_ids,
            "customer_id": per["customer_id"].to_numpy(),
            "order_id": per.index.to_numpy(),
            "issued_at": clock.timestamps(issue_t),
            "due_at": due_at,
            "amount": amount,
        }
    ).iloc[order]

    behaviour = _pick(rng, rp.behaviour, n)
    on_time = issue_index + 1 + np.floor(rng.random(n) * terms)  # the day after issue .. due
    late = (
        issue_index + terms + 1 + np.minimum(np.floor(rng.exponential(rp.late_mean_days, n)), 119)
    )
    share = rng.uniform(0.3, 0.8, n)
    over = np.round(amount * (1 + rng.uniform(0.005, rp.max_over_share, n)), 2)
    rest_paid = rng.random(n) < 0.5
    first_amount = np.select(
        [behaviour == "on_time", behaviour == "late", behaviour == "partial", behaviour == "over"],
        [amount, amount, np.round(amount * share, 2), over],
        np.nan,
    )
    first_day = np.where(behaviour == "late", late, on_time)
    second = (behaviour == "partial") & rest_paid
    pay_invoice = np.concatenate([invoice_ids, invoice_ids[second]])
    pay_amount = np.concatenate([first_amount, np.round(amount - first_amount, 2)[second]])
    pay_t = business_time(rng, np.concatenate([first_day, late[second]]))
    paid = np.isfinite(pay_amount) & (pay_t < 0) & (pay_amount > 0)
    pay_invoice, pay_amount, pay_t = pay_invoice[paid], pay_amount[paid], pay_t[paid]
    order = np.lexsort((pay_invoice.astype(str), pay_t))
    payments = pd.DataFrame(
        {
            "payment_id": _ids("PAY", len(order), 7),
            "invoice_id": pay_invoice[order],
            "paid_at": clock.timestamps(pay_t[order]),
            "amount": pay_amount[order],
        }
    )
    return invoices.reset_index(drop=True), payments


def birth_dates(
    rng: np.random.Generator, pop: Population, params: DemoParams, clock: Clock
) -> np.ndarray:
    """A birth date (ages 18-80 at the as-of date) for a share of individuals; None otherwise."""
    n = len(pop.ids)
    age_days = np.floor(rng.uniform(18 * 365.25, 80 * 365.25, n)).astype(np.int64)
    dates = clock.dates(-1 - age_days)  # day index -1 is the as-of date
    known = ~pop.organisation & (rng.random(n) < params.receivables.birth_date_share)
    return np.where(known, dates, None)
