"""Options are checked where the user gives them: an unknown name fails at once, naming it and the valid ones."""

from __future__ import annotations

import importlib

import pytest

from ea_plugin import AlignmentJudge, load_judge
from ea_plugin.backends.rules import RulesBackend
from ea_plugin.errors import OptionError, UnknownOptionError
from ea_plugin.judge import JudgeOptions, factory_options


def test_a_misspelt_judge_option_names_itself_the_likely_one_and_every_valid_one():
    with pytest.raises(UnknownOptionError) as info:
        load_judge("rules", treshold=0.3)
    message = str(info.value)
    assert info.value.option == "treshold" and "did you mean 'threshold'" in message
    assert "judge options: batch_size, cascade, max_chunk_chars, min_keep, mode, on_error, threshold" in message
    assert "rules backend options:" in message


def test_an_unknown_backend_option_fails_before_the_backend_is_built():
    with pytest.raises(UnknownOptionError, match=r"'concurency' \(did you mean 'concurrency'\?\)") as info:
        load_judge("openai", base_url="http://127.0.0.1:9/v1", model="m", concurency=4)
    assert "openai backend options:" in str(info.value) and "base_url" in str(info.value)


def test_the_judge_itself_refuses_an_unknown_option():
    with pytest.raises(UnknownOptionError, match="'batchsize'.*'batch_size'"):
        AlignmentJudge(RulesBackend(), batchsize=4)


@pytest.mark.parametrize(("host", "module", "name"), [
    ("llama_index.core", "integrations.llamaindex", "EntityAlignmentPostprocessor"),
    ("langchain_core", "integrations.langchain", "EntityAlignmentFilter"),
])
def test_an_integration_names_a_misspelt_option_with_or_without_a_judge(host, module, name):
    pytest.importorskip(host)
    integration = getattr(importlib.import_module(module), name)
    with pytest.raises(UnknownOptionError, match=rf"{name}: unknown option 'score_treshold' \(did you mean "
                                                 r"'score_threshold'\?\)") as info:
        integration(score_treshold=0.3)
    assert f"{name} options:" in str(info.value) and "judge options:" in str(info.value)
    with pytest.raises(UnknownOptionError, match=r"'score_treshold'"):
        integration(judge=load_judge("rules"), score_treshold=0.3)


def test_judge_options_are_checked_when_built_and_shared_by_judges():
    options = JudgeOptions(mode="think", threshold=0.3)
    judge = AlignmentJudge(RulesBackend(), options, batch_size=2)
    assert (judge.mode, judge.policy.threshold, judge.batch_size) == ("think", 0.3, 2)
    assert options.batch_size == 32  # the caller's options are not changed
    with pytest.raises(OptionError) as info:
        JudgeOptions(max_chunk_chars=0)
    assert info.value.option == "max_chunk_chars"


def test_a_factory_that_takes_any_keyword_is_not_second_guessed():
    def factory(**kwargs):
        return RulesBackend()

    class Plain:
        def __init__(self, model: str, *, device: str = "cpu") -> None: ...

    assert factory_options(factory) is None
    assert factory_options(Plain) == ["model", "device"]
