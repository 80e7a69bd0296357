"""The planted parameters of the demo data set: what later analyses should find in it.

Each group is a frozen dataclass with documented defaults; :class:`DemoParams` bundles them and is
written to ``truth.json`` by :func:`crmlytics.demo.write_demo`. Time is in days unless a name says
otherwise; money in yuan (the demo's currency units).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class BetaGeoParams:
    """BG/NBD purchase process (Fader, Hardie & Lee 2005), time unit: days.

    While alive a buyer repeats as a Poisson process with rate ``lambda ~ Gamma(r, rate=alpha)``
    per day; after each repeat purchase they drop out for good with probability
    ``p ~ Beta(a, b)``. The first purchase is time 0 of the model and is not a repeat.
    ``r = 0.35, alpha = 25`` gives a mean rate of 0.014 per day (about 5 a year) with a long tail
    of heavy buyers and many one-off buyers; ``a = 0.8, b = 2.5`` makes a mean drop-out of 0.24
    per purchase, so many customers quietly stop.
    """

    r: float = 0.35
    alpha_days: float = 25.0
    a: float = 0.8
    b: float = 2.5

    @property
    def alpha_weeks(self) -> float:
        """``alpha`` for a fit in weeks (``r``, ``a``, ``b`` do not depend on the time unit)."""
        return self.alpha_days / 7.0

    def p_no_repeat(self, t_days: float) -> float:
        """P(no repeat purchase within ``t_days`` of the first one) = (alpha / (alpha + t))^r."""
        return (self.alpha_days / (self.alpha_days + t_days)) ** self.r


@dataclass(frozen=True)
class GammaGammaParams:
    """Gamma-Gamma order values (Fader, Hardie & Lee 2005; Fader & Hardie 2013), in yuan.

    Each order's gross value is ``z ~ Gamma(shape=p, rate=nu)`` with the customer's
    ``nu ~ Gamma(shape=q, rate=gamma)``, drawn independently of the purchase process. A customer's
    mean order value is ``p / nu``; over customers its mean is ``p * gamma / (q - 1)`` = 300 yuan.
    """

    p: float = 6.0
    q: float = 5.0
    gamma: float = 200.0

    @property
    def mean_order_value(self) -> float:
        return self.p * self.gamma / (self.q - 1.0)

    @property
    def sd_customer_mean_order_value(self) -> float:
        """Standard deviation over customers of ``p / nu`` (an inverse-gamma variable)."""
        q = self.q
        return self.p * self.gamma / ((q - 1.0) * math.sqrt(q - 2.0))


@dataclass(frozen=True)
class CustomerParams:
    """Who the customers are. Shares are of all customers unless stated."""

    signup_window_days: int = 1095
    signup_recency_power: float = 1.3  # >1: more recent sign-ups (a growing business)
    type_shares: tuple[tuple[str, float], ...] = (
        ("individual", 0.70),
        ("company", 0.20),
        ("government", 0.03),
        ("partner", 0.07),
    )
    english_name_share: float = 0.18
    prospect_share: float = 0.15  # never buy
    first_purchase_same_day_share: float = 0.35
    first_purchase_delay_mean_days: float = 14.0
    do_not_contact_share: float = 0.08
    referral_share: float = 0.05  # referred_by an earlier customer; referrers weighted by orders
    closed_share_of_dropouts: float = 0.40  # drop-outs who also close their account
    close_delay_mean_days: float = 60.0
    email_missing_share: float = 0.06
    phone_missing_share: float = 0.04


@dataclass(frozen=True)
class BasketParams:
    """Order lines: how many, which products, returns and cost."""

    lines_per_order: tuple[float, ...] = (0.45, 0.30, 0.15, 0.10)  # 1, 2, 3, 4 lines
    favourite_category_share: float = 0.45  # a line comes from the customer's favourite category
    # (head, partner, p): a line holding ``head`` is followed by a line holding ``partner`` with
    # probability p (appended when it was the order's last line).
    planted_pairs: tuple[tuple[str, str, float], ...] = (
        ("P011", "P012", 0.55),  # coffee beans -> coffee filters
        ("P004", "P007", 0.40),  # pu-erh tea -> clay teapot
        ("P001", "P006", 0.50),  # green tea -> glass tea cup
    )
    cost_noise_sd: float = 0.03  # around the category's cost ratio (names.CATEGORIES)
    return_delay_mean_days: float = 6.0  # returns come 1..30 days after the sale
    preferred_channel_share: float = 0.80


@dataclass(frozen=True)
class InteractionParams:
    """Contacts per day while the customer is active (signup until 90 days after dropping out)."""

    rate_per_day: tuple[tuple[str, float], ...] = (
        ("individual", 0.004),
        ("company", 0.015),
        ("government", 0.012),
        ("partner", 0.020),
    )
    prospect_active_days: float = 240.0
    after_dropout_days: float = 90.0
    sales_staff: int = 12  # E001..E012 own accounts; E013.. are service staff
    service_staff: int = 18


@dataclass(frozen=True)
class ComplaintParams:
    """Complaints per sale order, their handling times and satisfaction.

    Satisfaction (surveyed at follow-up) is ``round(5.0 - 0.9 * ln(1 + resolution_days)
    - 0.35 * (severity - 1) + N(0, 0.5))`` clipped to 1..5, where resolution_days runs from
    opened_at to resolved_at: slow resolutions make unhappy customers. The last order of a
    customer who drops out afterwards draws a complaint ``final_order_factor`` times as often as
    other orders, so a complaint foreshadows churn (the purchases themselves stay BG/NBD).
    """

    rate_per_order: float = 0.035
    # the last order of a customer who then drops out draws complaints this many times as often
    final_order_factor: float = 4.0
    category_shares: tuple[tuple[str, float], ...] = (
        ("delivery", 0.35),
        ("quality", 0.30),
        ("billing", 0.15),
        ("service", 0.20),
    )
    severity_shares: tuple[float, float, float] = (0.50, 0.35, 0.15)
    english_share: float = 0.20  # of Chinese-named customers; English-named always write English
    first_response_mean_hours: tuple[float, float, float] = (14.0, 8.0, 3.0)  # by severity 1..3
    resolution_mean_days: tuple[tuple[str, float], ...] = (
        ("delivery", 1.0),
        ("quality", 2.5),
        ("billing", 1.5),
        ("service", 0.8),
    )
    severity_resolution_factor: float = 0.5  # mean x (1 + factor * (severity - 1))
    never_resolved_share: float = 0.03
    followed_up_share: float = 0.85
    satisfaction_intercept: float = 5.0
    satisfaction_per_log_day: float = -0.9
    satisfaction_per_severity: float = -0.35
    satisfaction_noise_sd: float = 0.5


FUNNEL_STAGES: tuple[str, ...] = ("lead", "needs", "proposal", "quote", "negotiation", "won")


@dataclass(frozen=True)
class FunnelParams:
    """Sales opportunities moving through lead -> needs -> proposal -> quote -> negotiation -> won.

    ``conversion[i]`` is P(moving from stage i to stage i+1 | a decision was made), the same for
    every source, owner and region; otherwise the opportunity is lost at stage i. Time in stage i
    is Gamma(2) with mean ``dwell_mean_days[i]``; a lost opportunity closes at the end of that
    dwell. A ``stuck_share`` of opportunities stops moving at a random stage and stays open (the
    stale opportunities of "at least one action per month").
    """

    opportunities_per_customer: float = 0.35
    conversion: tuple[float, ...] = (0.60, 0.70, 0.65, 0.75, 0.60)
    dwell_mean_days: tuple[float, ...] = (6.0, 10.0, 12.0, 8.0, 14.0)
    stuck_share: float = 0.10
    history_days: int = 730
    customer_type_weight: tuple[tuple[str, float], ...] = (
        ("individual", 0.3),
        ("company", 5.0),
        ("government", 4.0),
        ("partner", 3.0),
    )
    median_value: tuple[tuple[str, float], ...] = (
        ("individual", 20_000.0),
        ("company", 80_000.0),
        ("government", 200_000.0),
        ("partner", 50_000.0),
    )
    sources: tuple[tuple[str, float], ...] = (
        ("referral", 0.15),
        ("website", 0.25),
        ("trade_show", 0.15),
        ("cold_call", 0.20),
        ("partner", 0.10),
        ("campaign", 0.15),
    )
    lost_reasons: tuple[tuple[str, float], ...] = (
        ("price", 0.30),
        ("competitor", 0.25),
        ("no_budget", 0.20),
        ("timing", 0.15),
        ("no_decision", 0.10),
    )
    competitor_named_share: float = 0.30  # a competitor is named on other opportunities too

    @property
    def win_rate(self) -> float:
        """P(won | decided at every stage) = product of the stage conversions."""
        return math.prod(self.conversion)


@dataclass(frozen=True)
class Campaign:
    """One campaign: sent to ``target_share`` of contactable customers signed up by then.

    ``sent`` is given for the reference as-of date 2025-06-30; :func:`crmlytics.demo.generate_demo`
    moves it by as many days as its ``as_of`` differs, like the rest of the history.
    """

    campaign_id: str
    sent: str  # ISO date
    channel: str
    cost_per_touch: float
    target_share: float
    open_rate: float  # P(opened | sent)
    click_rate: float  # P(clicked | opened)
    conversion_rate: float  # P(converted | clicked)


DEFAULT_CAMPAIGNS: tuple[Campaign, ...] = (
    Campaign("cmp_2023_double11", "2023-11-01", "email", 0.05, 0.40, 0.22, 0.25, 0.15),
    Campaign("cmp_2024_spring", "2024-03-15", "sms", 0.08, 0.30, 0.45, 0.12, 0.10),
    Campaign("cmp_2024_midautumn", "2024-09-05", "wechat", 0.02, 0.50, 0.35, 0.30, 0.12),
    Campaign("cmp_2024_double11", "2024-11-01", "email", 0.05, 0.45, 0.20, 0.25, 0.18),
    Campaign("cmp_2025_spring", "2025-03-10", "sms", 0.08, 0.30, 0.40, 0.15, 0.10),
    Campaign("cmp_2025_618", "2025-06-10", "email", 0.05, 0.50, 0.24, 0.28, 0.20),
)


@dataclass(frozen=True)
class ReceivablesParams:
    """Invoices and payments (欠款, 催款).

    Every order of an organisation (company, government, partner) is invoiced, and a share of
    individuals' orders; the invoice is for the order's sale lines, issued 0-2 days after the
    order and due ``payment_terms_days`` after issue (by customer type). Each invoice draws one
    payment behaviour: paid in full by the due date (``on_time``), in full 1-120 days late
    (``late``, exponential delay of mean ``late_mean_days``), part now and the rest late or never
    (``partial``: 30-80% by the due date, the rest late with probability 0.5), a few percent
    more than invoiced (``over``: over-payment up to ``max_over_share``), or never (``unpaid``).
    Payments dated after the as-of date are not in the data yet (the invoice is still open).
    """

    individual_invoiced_share: float = 0.05
    payment_terms_days: tuple[tuple[str, float], ...] = (
        ("individual", 15.0),
        ("company", 30.0),
        ("government", 60.0),
        ("partner", 45.0),
    )
    behaviour: tuple[tuple[str, float], ...] = (
        ("on_time", 0.70),
        ("late", 0.15),
        ("partial", 0.10),
        ("over", 0.02),
        ("unpaid", 0.03),
    )
    late_mean_days: float = 25.0
    max_over_share: float = 0.05
    birth_date_share: float = 0.8
    """Share of individuals with a recorded ``birth_date`` (ages 18-80, uniform)."""


@dataclass(frozen=True)
class DemoParams:
    """Every planted parameter of the demo data set (defaults documented on each group)."""

    bgnbd: BetaGeoParams = field(default_factory=BetaGeoParams)
    gamma_gamma: GammaGammaParams = field(default_factory=GammaGammaParams)
    customers: CustomerParams = field(default_factory=CustomerParams)
    basket: BasketParams = field(default_factory=BasketParams)
    interactions: InteractionParams = field(default_factory=InteractionParams)
    complaints: ComplaintParams = field(default_factory=ComplaintParams)
    funnel: FunnelParams = field(default_factory=FunnelParams)
    campaigns: tuple[Campaign, ...] = DEFAULT_CAMPAIGNS
    receivables: ReceivablesParams = field(default_factory=ReceivablesParams)
