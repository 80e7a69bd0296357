"""CLI commands of cross-sell: ``crosssell rules|recommend|targets|evaluate``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from crmlytics.cli.common import (
    MARKUP_MODE,
    AsOfOption,
    ConfigOption,
    DbOption,
    FailOnEmptyOption,
    LocaleOption,
    OutOption,
    check_not_empty,
    checked_as_of,
    command,
    emit,
    locale_of,
    say,
    settings,
    show_table,
    step,
    warehouse,
    with_options,
)

crosssell_app = typer.Typer(
    help="Cross-sell: association rules, next best products, target lists, evaluation.",
    no_args_is_help=True,
    rich_markup_mode=MARKUP_MODE,
)

LevelOption = Annotated[
    str | None, typer.Option("--level", help="product or category (default: config)")
]
ScopeOption = Annotated[
    str | None,
    typer.Option("--scope", help="basket (an order) or customer (all they bought); default config"),
]
MinSupportOption = Annotated[
    float | None, typer.Option("--min-support", help="least support, a share (default: config)")
]
MinConfidenceOption = Annotated[
    float | None,
    typer.Option("--min-confidence", help="least confidence, a share (default: config)"),
]
MinLiftOption = Annotated[
    float | None, typer.Option("--min-lift", help="least lift (default: config)")
]


def register(app: typer.Typer) -> None:
    app.add_typer(crosssell_app, name="crosssell")


def _settings(config: Path | None, **options: Any) -> Any:
    """The settings file with the cross-sell options that were given laid over it."""
    return with_options(settings(config), "crosssell", **options)


@crosssell_app.command("rules")
@command
def rules_command(
    level: LevelOption = None,
    scope: ScopeOption = None,
    min_support: MinSupportOption = None,
    min_confidence: MinConfidenceOption = None,
    min_lift: MinLiftOption = None,
    triples: Annotated[
        bool, typer.Option("--triples", help="also rules with a two-item antecedent")
    ] = False,
    top: Annotated[
        int | None, typer.Option("--top", help="only the N rules of highest lift")
    ] = None,
    as_of: AsOfOption = None,
    out: OutOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Association rules (antecedent, consequent, support, confidence, lift, leverage,
    conviction) over baskets, highest lift first."""
    from crmlytics.crosssell import rules

    conf = _settings(
        config,
        level=level,
        scope=scope,
        min_support=min_support,
        min_confidence=min_confidence,
        min_lift=min_lift,
    )

    def compute(ws, point):
        expr = rules(ws, point, conf.crosssell, max_items=3 if triples else 2)
        return (expr.limit(top) if top else expr).to_pandas()

    show_table(
        conf,
        db,
        as_of,
        compute,
        doing=("rules", "computing association rules"),
        what="the association rules",
        title="association rules",
        out=out,
        fail_on_empty=fail_on_empty,
    )


@crosssell_app.command("recommend")
@command
def recommend_command(
    customer: Annotated[
        list[str] | None, typer.Option("--customer", help="only this customer (repeatable)")
    ] = None,
    top_k: Annotated[
        int | None, typer.Option("--top-k", help="items per customer (default: config)")
    ] = None,
    method: Annotated[str, typer.Option("--method", help="rules or similarity")] = "rules",
    margin_weighted: Annotated[
        bool | None, typer.Option("--margin-weighted/--no-margin-weighted", help="weight by margin")
    ] = None,
    level: LevelOption = None,
    scope: ScopeOption = None,
    min_support: MinSupportOption = None,
    min_confidence: MinConfidenceOption = None,
    min_lift: MinLiftOption = None,
    as_of: AsOfOption = None,
    out: OutOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Next best items per customer, excluding what they own, with a reason."""
    from crmlytics.crosssell import recommend

    conf = _settings(
        config,
        level=level,
        scope=scope,
        min_support=min_support,
        min_confidence=min_confidence,
        min_lift=min_lift,
        top_k=top_k,
        margin_weighted=margin_weighted,
    )
    chosen = locale_of(locale, conf)
    show_table(
        conf,
        db,
        as_of,
        lambda ws, point: recommend(
            ws, point, conf.crosssell, method=method, customers=customer, locale=chosen
        ),
        doing=("recommend", "scoring next best items"),
        what="the recommendations",
        title="next best items",
        out=out,
        fail_on_empty=fail_on_empty,
    )


@crosssell_app.command("targets")
@command
def targets_command(
    item: Annotated[str, typer.Argument(help="product id (or category with --level category)")],
    out: Annotated[Path, typer.Option("--out", help="list file: .csv, .xlsx or .parquet")],
    top: Annotated[int | None, typer.Option("--top", help="at most N customers")] = None,
    include_opted_out: Annotated[
        bool, typer.Option("--include-opted-out", help="keep customers with do_not_contact")
    ] = False,
    hash_pii: Annotated[
        str | None, typer.Option("--hash-pii", help="sha256: hash email and phone, drop name")
    ] = None,
    method: Annotated[
        str,
        typer.Option(
            "--method",
            help="auto (the method `crosssell evaluate` ranks first as of the same date), "
            "rules, similarity, popularity or segment_popularity",
        ),
    ] = "auto",
    level: LevelOption = None,
    scope: ScopeOption = None,
    min_support: MinSupportOption = None,
    min_confidence: MinConfidenceOption = None,
    min_lift: MinLiftOption = None,
    as_of: AsOfOption = None,
    locale: LocaleOption = None,
    fail_on_empty: FailOnEmptyOption = False,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Customers most likely to buy ITEM next (owners and opted-out customers left out),
    written like a segment list."""
    from crmlytics.crosssell import export_targets

    conf = _settings(
        config,
        level=level,
        scope=scope,
        min_support=min_support,
        min_confidence=min_confidence,
        min_lift=min_lift,
    )
    chosen = locale_of(locale, conf)
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf)
        with step("targets", f"ranking customers for {item}") as s:
            result = export_targets(
                ws,
                item,
                as_of=point,
                out=out,
                top=top,
                include_opted_out=include_opted_out,
                hash_pii=hash_pii,
                locale=chosen,
                config=conf,
                method=method,
            )
            s.rows = result.rows
    say(f"ranked by {result.method_reason}")
    say(
        f"wrote {result.rows:,} customers to {result.path} "
        f"({result.excluded_opted_out:,} opted-out customers left out)"
    )
    check_not_empty(result.rows, f"the target list of {item}", fail_on_empty)


@crosssell_app.command("evaluate")
@command
def evaluate_command(
    k: Annotated[int, typer.Option("--k", help="items recommended per customer")] = 5,
    level: LevelOption = None,
    scope: ScopeOption = None,
    min_support: MinSupportOption = None,
    min_confidence: MinConfidenceOption = None,
    min_lift: MinLiftOption = None,
    as_of: AsOfOption = None,
    out: OutOption = None,
    db: DbOption = None,
    config: ConfigOption = None,
) -> None:
    """Hold out each customer's last order: hit rate, recall and MAP at k of rules and
    similarity against popularity and segment popularity, best first."""
    from crmlytics.crosssell import evaluate

    conf = _settings(
        config,
        level=level,
        scope=scope,
        min_support=min_support,
        min_confidence=min_confidence,
        min_lift=min_lift,
    )
    cs = conf.crosssell
    with warehouse(db, conf) as ws:
        point = checked_as_of(ws, as_of, conf)
        with step("evaluate", "evaluating on held-out last orders") as s:
            frame = evaluate(
                ws,
                point,
                k=k,
                level=cs.level,
                scope=cs.scope,
                min_support=cs.min_support,
                min_confidence=cs.min_confidence,
                min_lift=cs.min_lift,
            )
            s.rows = len(frame)
    emit(frame, out, title=f"cross-sell evaluation at k={k} as of {point}")
