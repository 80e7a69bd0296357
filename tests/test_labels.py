"""Bilingual output: the labels registry, localise(), --locale zh on commands and files, charts,
and --segment by key, English label or Chinese label.

The warehouse: five buyers a..e with one order each in January 2024 (a 1000 on the 10th, b 400
on the 8th, c 300 on the 6th, d 200 on the 4th, e 100 on the 2nd) and f who never bought; as of
2024-01-31. Worked out by hand with the default settings:

- R (older last purchase is worse): a 5, b 4, c 3, d 2, e 1; F: all tied at one order, so 1;
  M: a 5 ... e 1. Default map: a new (R5 F1), b promising (R4 F1), c about_to_sleep (R3 F1),
  d hibernating (R2 F1-2), e lost (R1 F1-2); f prospect.
- value tiers of 5 buyers: gold floor(0.2 x 5) = 1 (a), silver up to floor(0.5 x 5) = 2 (b),
  bronze c, d, e; f none.
- lifecycle: single purchase day each and no repeat buyer (so never dormant), within 365 days:
  first_time; f prospect. stage (90 days): new; f future. activity (180 days): active; f prospect.
"""

from __future__ import annotations

import datetime as dt
import math
import types

import numpy as np
import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from crmlytics import labels as L
from crmlytics.cli import app
from crmlytics.errors import ConfigError
from crmlytics.labels import header, localise
from crmlytics.segments import SEGMENTATIONS, resolve_segment
from crmlytics.workspace import Workspace

AS_OF = "2024-01-31"
AMOUNTS = {"a": (1000.0, 10), "b": (400.0, 8), "c": (300.0, 6), "d": (200.0, 4), "e": (100.0, 2)}
TYPES = {"a": "company", "b": "individual", "c": "government", "d": "partner", "e": None}
TYPES["f"] = "individual"
RFM_ZH = {
    "a": "新客户",
    "b": "有潜力的新客户",
    "c": "即将沉睡客户",
    "d": "休眠客户",
    "e": "流失客户",
    "f": "潜在客户",
}


def fill(ws: Workspace) -> Workspace:
    ws.insert(
        "customers",
        [
            dict(
                customer_id=c,
                name=f"客户{c}",
                email=f"{c}@example.com",
                region="华东",
                customer_type=TYPES[c],
                signup_date=dt.date(2023, 6, 1),
            )
            for c in "abcdef"
        ],
    )
    ws.insert(
        "transactions",
        [
            dict(
                order_id=f"o{c}",
                line_no=1,
                kind="sale",
                customer_id=c,
                order_ts=pd.Timestamp(2024, 1, day, 12),
                amount=amount,
            )
            for c, (amount, day) in AMOUNTS.items()
        ],
    )
    return ws


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "crm.duckdb"
    with Workspace.open(path) as ws:
        fill(ws)
    return path


def run(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(text))


# -- the registry -------------------------------------------------------------------------------


def test_every_key_of_every_domain_has_an_english_and_a_chinese_label():
    for domain in L.domains():
        for key, (en, zh) in L.pairs(domain).items():
            assert en.strip() and zh.strip(), (domain, key)
            assert is_chinese(zh) and en != zh, (domain, key, en, zh)
    # every key a segmentation uses, and the views and vocabularies the brief names
    used = {**SEGMENTATIONS, "stage": ["future", "new", "established"]}
    used["activity"] = ["active", "lapsed", "prospect"]
    for domain, keys in used.items():
        assert set(keys) <= set(L.keys(domain)), domain


def test_design_vocabularies_carry_the_chinese_labels_of_the_source_material():
    assert L.labels("customer_type", "zh") == {
        "individual": "个人",
        "company": "企业",
        "government": "政府",
        "partner": "合作伙伴",
    }
    funnel = L.labels("funnel_stage", "zh")
    sales = ["lead", "needs", "proposal", "quote", "negotiation", "won"]
    assert [funnel[k] for k in sales] == [
        "获取机会",
        "了解需求",
        "提供方案",
        "报价",
        "议价",
        "签单",
    ]
    pipeline = ["entry", "review", "follow_up", "closed"]
    assert [funnel[k] for k in pipeline] == ["录入", "审核", "跟单", "关闭"]
    assert "lost" in funnel
    assert L.label("dormant", "zh", domain="lifecycle") == "沉寂客户"
    assert L.label("gold", "zh", domain="value_tier") == "黄金客户 (主力)"


@pytest.fixture
def scratch_registry(monkeypatch):
    """Registrations made by a test are undone after it."""
    monkeypatch.setattr(L, "_LABELS", {d: dict(t) for d, t in L._LABELS.items()})
    monkeypatch.setattr(L, "_COLUMNS", {c: list(d) for c, d in L._COLUMNS.items()})
    monkeypatch.setattr(L, "_HEADERS", dict(L._HEADERS))


def test_register_accepts_the_same_labels_again_and_refuses_different_ones(scratch_registry):
    L.register("test_colour", {"red": ("Red", "红色")}, columns=())
    L.register("test_colour", {"red": ("Red", "红色"), "blue": ("Blue", "蓝色")}, columns=())
    assert L.keys("test_colour") == ("red", "blue")
    with pytest.raises(ConfigError, match="test_colour:red is already registered"):
        L.register("test_colour", {"red": ("Crimson", "深红")})
    with pytest.raises(ConfigError, match="two non-empty labels"):
        L.register("test_colour", {"green": ("Green", "")})
    # one column cannot take one key from two domains that label it differently
    L.register("test_mood", {"blue": ("Sad", "忧郁")}, columns=())
    L.register("test_colour", {}, columns=("test_column",))
    with pytest.raises(ConfigError, match="key\\(s\\) blue are labelled differently"):
        L.register("test_mood", {}, columns=("test_column",))
    with pytest.raises(ConfigError, match="already has header"):
        L.register_headers({"customer_id": "顾客"})


def test_headers_cover_the_vocabulary_and_column_families():
    # the names of the one vocabulary (issue 7, item 2)
    vocabulary = [
        *("customer_id", "first_purchase_date", "last_purchase_date", "orders"),
        *("purchase_days", "purchase_span_days", "days_since_first_purchase"),
        *("days_since_last_purchase", "gross_revenue", "returned_revenue", "net_revenue"),
        *("profit", "avg_order_value", "categories_bought", "complaints", "contacts"),
        *("rfm_frequency", "rfm_monetary", "r_score", "f_score", "m_score", "rfm_cell"),
        *("rfm_segment", "rfm_segment_label", "value_tier", "lifecycle", "stage", "activity"),
        *("btyd_frequency", "btyd_recency_weeks", "btyd_recency_days", "btyd_age_weeks"),
        *("btyd_age_days", "btyd_monetary_value", "p_alive", "expected_purchases"),
        *("expected_order_value", "clv", "customer_type"),
    ]
    zh = [header(c, "zh") for c in vocabulary]
    assert [c for c, h in zip(vocabulary, zh, strict=True) if not is_chinese(h)] == []
    assert len(set(zh)) == len(zh)  # no two columns share a header
    assert header("mean_net_revenue", "zh") == "平均净销售额"
    assert header("mean_unknown_thing", "zh") == "mean_unknown_thing"
    assert header("net_revenue", "en") == "net_revenue"


# -- localise: one translation of result frames ---------------------------------------------------


def test_localise_gives_chinese_headers_and_labels_and_leaves_english_alone():
    frame = pd.DataFrame(
        {
            "customer_id": ["a", "b", "c"],
            "rfm_segment": ["champions", "lost", "my_own_segment"],
            "lifecycle": ["lost", "dormant", None],
            "value_tier": ["gold", None, "bronze"],
            "stage": ["new", "established", "future"],
            "activity": ["active", "lapsed", "prospect"],
            "customer_type": ["Company", "individual", "partner"],
            "net_revenue": [1.5, 2.0, 0.0],
        }
    )
    assert localise(frame, "en") is frame
    zh = localise(frame, "zh")
    assert list(zh.columns) == [
        "客户编号",
        "RFM 客户群",
        "生命周期",
        "价值等级",
        "阶段",
        "活跃状态",
        "客户类型",
        "净销售额",
    ]
    assert zh["RFM 客户群"].tolist() == ["冠军客户", "流失客户", "my_own_segment"]
    assert zh["生命周期"].tolist()[:2] == ["流失客户", "沉寂客户"]
    assert zh["生命周期"].isna().tolist() == [False, False, True]
    assert zh["价值等级"].tolist()[0] == "黄金客户 (主力)" and pd.isna(zh["价值等级"][1])
    assert zh["阶段"].tolist() == ["新客户", "老客户", "未来客户"]
    assert zh["活跃状态"].tolist() == ["活跃客户", "流失中客户", "潜在客户"]
    assert zh["客户类型"].tolist() == ["企业", "个人", "合作伙伴"]
    assert zh["净销售额"].tolist() == [1.5, 2.0, 0.0]
    assert frame["rfm_segment"][0] == "champions"  # the input is not changed
    # a frame's own label columns: a funnel's stage column holds funnel stages
    funnel = localise(pd.DataFrame({"stage": ["quote", "won"]}), "zh")
    assert funnel["阶段"].tolist() == ["报价", "签单"]
    keys_only = localise(frame, "zh", headers=False)
    assert keys_only.columns[1] == "rfm_segment" and keys_only["rfm_segment"][0] == "冠军客户"
    with pytest.raises(ConfigError, match="locale must be en or zh"):
        localise(frame, "fr")  # type: ignore[arg-type]


def test_every_column_of_facts_rfm_segments_profiles_and_lists_has_a_chinese_header(db):
    from crmlytics.export.lists import list_columns, list_scores
    from crmlytics.facts import facts
    from crmlytics.segments import customer_segments, rfm_report, segment_profiles

    with Workspace.open(db, read_only=True) as ws, list_scores(ws, AS_OF) as listed:
        outputs = {
            "facts": list(facts(ws, AS_OF).columns),
            "rfm": list(rfm_report(ws, AS_OF).columns),
            "segments": list(customer_segments(ws, AS_OF).columns),
            "profiles": list(segment_profiles(ws, AS_OF, "lifecycle").columns),
            "export": list_columns(listed.table),
            "export hashed": list_columns(listed.table, hashed="sha256"),
        }
    for name, columns in outputs.items():
        missing = [c for c in columns if not L.has_header(c)]
        assert not missing, f"{name}: no Chinese header for {missing}"
        headers = [header(c, "zh") for c in columns]
        assert len(set(headers)) == len(headers), name


# -- commands and files ---------------------------------------------------------------------------


def test_export_xlsx_in_chinese_has_chinese_headers_and_labels(db, tmp_path):
    out = tmp_path / "gold.xlsx"
    result = run(
        "export", "--segment", "黄金客户 (主力)", "--out", out, "--as-of", AS_OF,
        "--locale", "zh", "--db", db,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    head, values = rows[0], rows[1:]
    assert len(values) == 1
    row = dict(zip(head, values[0], strict=True))
    assert list(head[:11]) == [
        "客户编号",
        "客户名称",
        "电子邮箱",
        "电话",
        "地区",
        "渠道",
        "客户类型",
        "RFM 客户群",
        "RFM 客户群名称",
        "价值等级",
        "生命周期",
    ]
    assert all(is_chinese(h) for h in head), head
    assert row["客户编号"] == "a" and row["客户名称"] == "客户a"
    assert row["客户类型"] == "企业"
    assert row["RFM 客户群"] == "新客户" and row["RFM 客户群名称"] == "新客户"
    assert row["价值等级"] == "黄金客户 (主力)"
    assert row["生命周期"] == "首次购买客户"
    assert row["阶段"] == "新客户" and row["活跃状态"] == "活跃客户"
    assert row["净销售额"] == 1000


def test_export_parquet_keeps_english_keys_unless_the_config_asks(db, tmp_path):
    out = tmp_path / "lost.parquet"
    args = ["export", "--segment", "rfm_segment:流失客户", "--as-of", AS_OF, "--db", db]
    result = run(*args, "--out", out, "--locale", "zh")
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert frame["customer_id"].tolist() == ["e"]
    assert frame["rfm_segment"].tolist() == ["lost"] and frame["value_tier"].tolist() == ["bronze"]
    config = tmp_path / "crmlytics.yaml"
    config.write_text("locale: zh\nlocale_machine_formats: true\n", encoding="utf-8")
    result = run(*args, "--out", out, "--config", config)
    assert result.exit_code == 0, result.output
    frame = pd.read_parquet(out)
    assert frame["客户编号"].tolist() == ["e"] and frame["价值等级"].tolist() == ["零散客户"]


def test_export_of_a_shared_key_must_be_qualified_and_names_both_options(db, tmp_path):
    out = tmp_path / "lost.csv"
    result = run("export", "--segment", "lost", "--out", out, "--as-of", AS_OF, "--db", db)
    assert result.exit_code == 2
    assert "rfm_segment:lost or lifecycle:lost" in result.output
    assert not out.exists()


def test_rfm_command_in_chinese_from_the_option_or_the_config(db, tmp_path):
    english = tmp_path / "rfm_en.csv"
    result = run("rfm", "--as-of", AS_OF, "--db", db, "--locale", "en", "--out", english)
    assert result.exit_code == 0, result.output
    en = pd.read_csv(english, encoding="utf-8-sig", dtype=str)
    assert en.columns[0] == "customer_id"
    assert en.set_index("customer_id").loc["e", "rfm_segment"] == "lost"

    out = tmp_path / "rfm.csv"
    result = run("rfm", "--as-of", AS_OF, "--db", db, "--locale", "zh", "--out", out)
    assert result.exit_code == 0, result.output
    zh = pd.read_csv(out, encoding="utf-8-sig", dtype=str)
    assert zh.columns.tolist() == [header(c, "zh") for c in en.columns]
    assert all(is_chinese(c) for c in zh.columns), zh.columns.tolist()
    assert dict(zip(zh["客户编号"], zh["RFM 客户群"], strict=True)) == RFM_ZH
    assert zh.set_index("客户编号").loc["b", "R 评分"] == "4"

    config = tmp_path / "crmlytics.yaml"
    config.write_text("locale: zh\n", encoding="utf-8")
    again = tmp_path / "rfm2.csv"
    result = run("rfm", "--as-of", AS_OF, "--db", db, "--config", config, "--out", again)
    assert result.exit_code == 0, result.output
    pd.testing.assert_frame_equal(pd.read_csv(again, encoding="utf-8-sig", dtype=str), zh)


def test_segments_and_facts_commands_print_chinese_headers(db, tmp_path):
    printed = run("segments", "--by", "lifecycle", "--as-of", AS_OF, "--db", db, "--locale", "zh")
    assert printed.exit_code == 0, printed.output
    # a wide table folds long cells in a log's fixed width: short texts are checked
    for text in ("客户群", "客户数", "客户占比", "收入占比", "潜在客户"):
        assert text in printed.output, text
    assert "prospect" not in printed.output and "customer_share" not in printed.output

    out = tmp_path / "facts.xlsx"
    result = run("facts", "--as-of", AS_OF, "--db", db, "--locale", "zh", "--out", out)
    assert result.exit_code == 0, result.output
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert all(is_chinese(h) for h in rows[0]), rows[0]
    by_customer = {r[0]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    assert by_customer["a"]["净销售额"] == 1000 and by_customer["f"]["购买次数"] == 0
    bad = run("facts", "--as-of", AS_OF, "--db", db, "--locale", "fr")
    assert bad.exit_code == 2 and "--locale must be en or zh" in bad.output


# -- --segment: a key, its English label or its Chinese label --------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("champions", ("rfm_segment", "champions")),
        ("GOLD", ("value_tier", "gold")),
        ("gold (KEY)", ("value_tier", "gold")),
        ("黄金客户 (主力)", ("value_tier", "gold")),
        ("  about to sleep ", ("rfm_segment", "about_to_sleep")),
        ("Can't Lose Them", ("rfm_segment", "cant_lose_them")),
        ("沉寂客户", ("lifecycle", "dormant")),
        ("Loyal buyer", ("lifecycle", "loyal")),
        ("lifecycle:Lost", ("lifecycle", "lost")),
        ("rfm_segment:流失客户", ("rfm_segment", "lost")),
        ("stage:new", ("stage", "new")),
        ("activity:活跃客户", ("activity", "active")),
    ],
)
def test_segment_is_found_by_key_english_label_or_chinese_label(given, expected):
    assert resolve_segment(given) == expected


@pytest.mark.parametrize(
    ("given", "options"),
    [
        ("lost", "rfm_segment:lost or lifecycle:lost"),
        ("流失客户", "rfm_segment:lost or lifecycle:lost"),
        ("Loyal", "rfm_segment:loyal or lifecycle:loyal"),
        ("忠诚客户", "rfm_segment:loyal or lifecycle:loyal"),
        ("prospect", "rfm_segment:prospect or lifecycle:prospect"),
    ],
)
def test_a_name_in_two_segmentations_must_be_qualified(given, options):
    with pytest.raises(ConfigError, match="more than one segmentation") as info:
        resolve_segment(given)
    assert options in str(info.value)


def test_unknown_segment_and_segmentation_errors_say_what_is_valid():
    with pytest.raises(ConfigError, match="unknown segment key 'platinum'; valid keys are"):
        resolve_segment("platinum")
    with pytest.raises(ConfigError, match="unknown segmentation 'tier'.*rfm_segment, value_tier"):
        resolve_segment("tier:gold")
    with pytest.raises(ConfigError, match=r"value_tier has no segment 'platinum'.*gold \(Gold"):
        resolve_segment("value_tier:platinum")


# -- charts follow the locale --------------------------------------------------------------------


def test_segment_charts_follow_the_locale():
    from crmlytics.segments import pareto_chart, rf_heatmap

    frame = pd.DataFrame(dict(r_score=[5, 1], f_score=[5, 2], rfm_monetary=[100.0, 10.0]))
    zh = rf_heatmap(frame, locale="zh")
    assert zh.layout.title.text == "R × F 分布 (颜色: 平均金额)"
    assert (zh.layout.xaxis.title.text, zh.layout.yaxis.title.text) == ("F 评分", "R 评分")
    assert rf_heatmap(frame).layout.xaxis.title.text == "F score"
    curve = pd.DataFrame(dict(customer_share=[0.5, 1.0], value_share=[0.8, 1.0]))
    curve.attrs["measure"] = "net_revenue"
    fig = pareto_chart(curve, locale="zh")
    assert fig.layout.title.text == "净销售额帕累托曲线"
    assert fig.layout.yaxis.title.text == "净销售额占比"
    assert fig.data[0].name == "累计净销售额"


def test_clv_charts_follow_the_locale():
    from crmlytics.clv.charts import calibration_holdout_chart, p_alive_matrix_chart, tracking_chart

    by = pd.DataFrame(dict(btyd_frequency=["0", "1"], actual=[0.1, 0.5], model=[0.2, 0.4]))
    by["naive"] = [0.0, 0.6]
    tracking = pd.DataFrame(dict(period=[1, 2], actual_cumulative=[1, 3], model_cumulative=[1, 2]))
    tracking["in_holdout"] = [False, True]
    result = types.SimpleNamespace(by_frequency=by, tracking=tracking, unit="weeks")
    fig = calibration_holdout_chart(result, locale="zh")  # type: ignore[arg-type]
    assert [t.name for t in fig.data] == ["实际", "模型", "朴素基线"]
    assert fig.layout.yaxis.title.text == "验证期平均购买次数 (周)"
    fig = tracking_chart(result, locale="zh")  # type: ignore[arg-type]
    assert fig.layout.title.text == "累计重复购买次数"
    assert fig.layout.annotations[0].text == "校准期结束"

    class Flat:  # P(alive) = 1 everywhere; only the text is under test
        unit_ = "days"
        max_frequency_ = 2
        max_age_ = 10.0

        def p_alive(self, x, tx, T):
            return np.ones_like(np.asarray(x, dtype=float))

    fig = p_alive_matrix_chart(Flat(), locale="zh")  # type: ignore[arg-type]
    assert fig.layout.title.text == "按频度与近度的存活概率 (客户年龄 10 天)"
    assert fig.layout.yaxis.title.text == "末次与首次购买间隔 (btyd_recency_days)"
    assert math.isclose(float(np.asarray(fig.data[0].z).max()), 1.0)
    english = p_alive_matrix_chart(Flat()).layout.yaxis.title.text
    assert english == "last − first purchase (btyd_recency_days)"
