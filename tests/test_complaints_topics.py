"""Complaint texts: planted keyword groups in mixed Chinese / English recovered as terms of the
right category, as topics and as suggested categories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from crmlytics.complaints.topics import (
    category_terms,
    fit_topics,
    rising_terms,
    suggest_categories,
    terms,
    topic_alignment,
)
from crmlytics.errors import DataError

#: Planted words per category, each in Chinese and English. 质量问题 is not one word of jieba's
#: dictionary (it segments it into 质量 + 问题); listed in WORDS it is kept whole.
PLANTED = {
    "billing": (["退款", "扣款", "发票"], ["refund", "charged", "invoice"]),
    "delivery": (["快递", "延误", "物流"], ["courier", "delayed", "parcel"]),
    "quality": (["质量问题", "破损", "异味"], ["defective", "broken", "smell"]),
}
WORDS = ("质量问题",)
#: Filler: 40 two-character words and the 26 NATO letter words, each too rare to mark anything.
FILLER_ZH = [a + b for a in "天地东西南北春夏" for b in "山水花草日"]
FILLER_EN = [
    "alfa",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliett",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
    "quebec",
    "romeo",
    "sierra",
    "tango",
    "uniform",
    "victor",
    "whiskey",
    "xray",
    "yankee",
    "zulu",
]


def texts(rng: np.random.Generator, n: int) -> pd.DataFrame:
    """``n`` descriptions: a category, two of its planted words and three filler words, in
    Chinese (70%) or English (30%)."""
    rows = []
    cats = sorted(PLANTED)
    for _ in range(n):
        cat = cats[rng.integers(len(cats))]
        zh = rng.random() < 0.7
        words = PLANTED[cat][0 if zh else 1]
        filler = FILLER_ZH if zh else FILLER_EN
        picked = list(rng.choice(words, 2, replace=False)) + list(rng.choice(filler, 3))
        rng.shuffle(picked)
        rows.append((cat, ("，" if zh else " ").join(picked)))
    return pd.DataFrame(rows, columns=["category", "description"])


def test_terms_are_english_words_and_jieba_chinese_words():
    # jieba's dictionary: 快递 + 延误; English stop words (the, is) dropped
    assert terms("快递延误 The parcel is late!") == ["parcel", "late", "快递", "延误"]
    # lone characters between words (的, 有) are dropped, not kept as terms
    assert terms("收到的商品有质量问题") == ["收到", "商品", "质量", "问题"]
    # a word of the business listed in complaints.topic_words is kept whole
    assert terms("收到的商品有质量问题", WORDS) == ["收到", "商品", "质量问题"]
    # characters the dictionary leaves single, side by side, form one term (漏 + 液)
    assert terms("包裹破损漏液") == ["包裹", "破损", "漏液"]
    assert terms("退款未到") == ["退款", "未到"]
    assert terms(None) == []


def test_planted_words_are_the_top_terms_of_their_category():
    frame = texts(np.random.default_rng(5), 600)
    top = category_terms(frame["description"], frame["category"], top=6, words=WORDS)
    for cat, (zh, en) in PLANTED.items():
        got = set(top.loc[top["category"] == cat, "term"])
        assert got == set(zh) | set(en), cat


def test_without_the_listed_word_its_dictionary_words_mark_the_category_and_no_bigram():
    frame = texts(np.random.default_rng(5), 600)
    top = category_terms(frame["description"], frame["category"], top=7)
    quality = set(top.loc[top["category"] == "quality", "term"])
    assert quality == {"质量", "问题", "破损", "异味", "defective", "broken", "smell"}
    assert not {"量问", "质量问题"} & set(top["term"])


def test_topics_line_up_with_the_planted_categories_and_suggest_missing_ones():
    frame = texts(np.random.default_rng(7), 600)
    # the same category in two languages shares no term: six topics, two per category
    model = fit_topics(frame["description"], n_topics=6, top=3, words=WORDS)
    align = topic_alignment(model.topic_of, frame["category"])
    assert (align["purity"] > 0.95).all()
    assert sorted(align["main_category"]) == sorted([c for c in PLANTED for _ in range(2)])
    hidden = frame["category"].where(np.arange(len(frame)) % 5 != 0)  # every fifth unlabelled
    suggested = suggest_categories(frame["description"], hidden, words=WORDS)
    truth = frame["category"].to_numpy()[suggested["position"]]
    assert (suggested["suggested_category"].to_numpy() == truth).mean() > 0.95


def test_a_word_that_appears_in_the_latest_month_is_rising():
    frame = texts(np.random.default_rng(9), 300)
    months = np.where(np.arange(300) < 200, "2024-01-01", "2024-02-01")
    text = frame["description"].where(months == "2024-01-01", frame["description"] + "，漏液")
    rising = rising_terms(text, months, top=3)
    assert rising["term"].iloc[0] == "漏液"
    with pytest.raises(DataError):
        rising_terms(text[:10], ["2024-01-01"] * 10)


def test_topics_command_keeps_the_words_of_the_config_file_whole(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from crmlytics.cli import app
    from crmlytics.workspace import Workspace

    frame = texts(np.random.default_rng(11), 300)
    db = tmp_path / "crm.duckdb"
    with Workspace.open(db) as w:
        w.insert(
            "complaints",
            pd.DataFrame(
                {
                    "complaint_id": [f"K{i}" for i in range(len(frame))],
                    "customer_id": [f"c{i}" for i in range(len(frame))],
                    "opened_at": pd.Timestamp("2024-01-10"),
                    "category": frame["category"],
                    "description": frame["description"],
                }
            ),
        )
    config = tmp_path / "crmlytics.yaml"
    config.write_text(yaml.safe_dump({"complaints": {"topic_words": list(WORDS)}}))
    runs = {}
    for name, extra in (("listed", ["--config", str(config)]), ("plain", [])):
        out = tmp_path / f"{name}.csv"
        argv = ["complaints", "topics", "--db", str(db), "--as-of", "2024-01-31", "--top", "7"]
        result = CliRunner().invoke(app, [*argv, "--out", str(out), *extra])
        assert result.exit_code == 0, result.output
        table = pd.read_csv(out)
        runs[name] = set(table.loc[table["category"] == "quality", "term"])
    assert "质量问题" in runs["listed"] and not {"质量", "问题"} & runs["listed"]
    assert {"质量", "问题"} <= runs["plain"] and "质量问题" not in runs["plain"]
