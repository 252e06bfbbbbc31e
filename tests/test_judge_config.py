"""AlignmentJudge.config(): the judge written down as plain data, and judge_from_config reading it back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ea_plugin import load_judge
from ea_plugin.judge import JudgeConfigError, judge_from_config
from ea_plugin.rules.catalog import load_catalog

CATALOG = Path(__file__).resolve().parents[1] / "ea_plugin" / "data" / "catalog.example.yaml"


def test_config_round_trips_backend_and_judge_options_through_json():
    judge = load_judge("rules", catalog=[CATALOG], threshold=0.9, cascade=(0.2, 0.8), min_keep=1, mode="think")
    config = json.loads(json.dumps(judge.config()))
    assert config == {"backend": "rules", "options": {"catalog": [str(CATALOG)], "mode": "think", "threshold": 0.9,
                                                      "cascade": [0.2, 0.8], "min_keep": 1}}
    again = judge_from_config(config)
    assert again.options == judge.options and again.config() == config


def test_defaults_are_left_out_and_a_non_plain_option_or_a_bad_config_is_refused():
    assert load_judge("rules").config() == {"backend": "rules", "options": {}}
    with pytest.raises(JudgeConfigError, match="option 'catalog' holds a Catalog, not plain data"):
        load_judge("rules", catalog=load_catalog(CATALOG)).config()
    with pytest.raises(JudgeConfigError, match="'backend': str"):
        judge_from_config({"options": {}})
    with pytest.raises(JudgeConfigError, match="also"):
        judge_from_config({"backend": "rules", "options": {}, "extra": 1})

