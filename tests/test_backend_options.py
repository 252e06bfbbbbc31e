"""Each backend's options are a checked dataclass: a bad value fails at construction, naming the option."""

from __future__ import annotations

import dataclasses
import inspect
import re

import pytest

from ea_plugin import load_judge
from ea_plugin.backends.openai import OpenAIBackend, OpenAIOptions
from ea_plugin.backends.rules import RulesBackend, RulesOptions
from ea_plugin.backends.transformers import TransformersBackend, TransformersOptions
from ea_plugin.cli import main
from ea_plugin.errors import OptionError, UnknownOptionError
from ea_plugin.rules.catalog import CatalogError

URL = "http://127.0.0.1:9/v1"  # nothing listens there: building a backend must not connect

OPENAI_BAD = [
    ("base_url", "127.0.0.1:8000/v1"),  # no scheme: would fail later as a confusing connection error
    ("base_url", "ftp://127.0.0.1/v1"),
    ("base_url", "http:///v1"),
    ("base_url", "http://[::1/v1"),  # urlsplit raises ValueError: was a traceback
    ("base_url", "http://127.0.0.1:99999/v1"),
    ("base_url", "http://127.0.0.1:0/v1"),
    ("model", ""),
    ("model", 7),
    ("api_key", 5),
    ("timeout", 0),
    ("timeout", -1),
    ("timeout", "30"),
    ("timeout", float("inf")),
    ("max_retries", -1),
    ("max_retries", 1.5),
    ("concurrency", 0),
    ("concurrency", True),
    ("max_tokens", 0),
    ("fast_max_tokens", 0),
    ("top_logprobs", -1),
    ("top_logprobs", 21),
    ("retry_backoff", -0.1),
    ("retry_backoff", float("inf")),
    ("exact_score", "yes"),
    ("score_tolerance", -0.01),
    ("score_tolerance", 1.5),
    ("extra_body", [("top_k", 1)]),
    ("prompt", "teacher-ish"),
    ("temperature", 2.5),
    ("template_kwargs", 0),
]


@pytest.mark.parametrize(("option", "value"), OPENAI_BAD)
def test_each_bad_openai_option_fails_at_construction_naming_it(option, value):
    given = {"base_url": URL, "model": "m", option: value}
    with pytest.raises(OptionError, match=rf"^{option} must ") as info:
        OpenAIBackend(**given)
    assert info.value.option == option and repr(value)[:20] in str(info.value)
    with pytest.raises(OptionError, match=rf"^{option} must "):  # the same check through load_judge
        load_judge("openai", **given)


# No model is needed: the options are checked before the model loads (this directory does not exist).
NO_MODEL = "/nonexistent/ea-test-model"
TRANSFORMERS_BAD = [
    ("model", ""),
    ("model", None),
    ("tokenizer", None),  # a loaded model (any object here) needs its tokenizer
    ("adapter", 3),
    ("device", "gpu"),
    ("device", "cuda:99"),  # not on this machine, with or without CUDA
    ("device", 0.5),
    ("dtype", "bfloat17"),
    ("dtype", 16),
    ("max_new_tokens", 0),
    ("forward_batch_size", 0),
    ("forward_batch_size", -4),
    ("max_batch_tokens", 0),
    ("max_batch_tokens", 1024.0),
    ("max_prompt_tokens", 0),
    ("min_new_tokens", -1),
    ("min_new_tokens", 513),  # more than max_new_tokens (512)
    ("merge_adapter", "no"),
    ("prefix_cache", None),
    ("cuda_graphs", "auto"),
    ("compile_layers", 1),
    ("coalesce", 1),
    ("coalesce_wait", -0.001),
    ("coalesce_wait", float("inf")),  # the first call of an idle backend would wait for company forever
    ("coalesce_wait", float("nan")),
]


@pytest.mark.parametrize(("option", "value"), TRANSFORMERS_BAD)
def test_each_bad_transformers_option_fails_before_the_model_loads_naming_it(option, value):
    given = {"model": object() if option == "tokenizer" else NO_MODEL, option: value}
    with pytest.raises(OptionError, match=rf"^{option} must |^{option} '") as info:
        TransformersBackend(**given)
    assert info.value.option == option
    with pytest.raises(OptionError, match=rf"^{option} "):
        load_judge("transformers", **given)


def test_transformers_defaults_and_named_dtypes_are_valid_options():
    import torch

    assert TransformersOptions(NO_MODEL).max_new_tokens == 512
    for dtype in ("bfloat16", "torch.float32", torch.float16, None):
        TransformersOptions(NO_MODEL, dtype=dtype, device="cpu", forward_batch_size=8, max_batch_tokens=None)


@pytest.mark.parametrize(("option", "value"), [("catalog", 5), ("catalog", [3]), ("catalog", b"catalog.yaml"),
                                                 ("pause_gc", "yes"), ("pause_gc", 1)])
def test_a_bad_rules_option_fails_at_construction_naming_it(option, value):
    with pytest.raises(OptionError, match=rf"^{option} must ") as info:
        RulesBackend(**{option: value})
    assert info.value.option == option


def test_a_missing_catalog_file_is_the_catalogs_own_error(tmp_path):
    missing = tmp_path / "no-such-catalog.yaml"
    with pytest.raises(CatalogError, match="no-such-catalog.yaml: cannot read the catalog"):
        RulesBackend(missing)
    with pytest.raises(CatalogError, match="no-such-catalog.yaml"):
        load_judge("rules", catalog=[str(missing)])


def test_valid_options_construct_and_are_kept_checked_on_the_backend():
    extra = {"top_k": 1}
    with OpenAIBackend(URL, "m", top_logprobs=20, score_tolerance=1.0, timeout=0.5, extra_body=extra) as backend:
        assert backend.options == OpenAIOptions(URL, "m", top_logprobs=20, score_tolerance=1.0, timeout=0.5,
                                                extra_body={"top_k": 1})
        assert backend.options.extra_body is not extra  # the caller's dict is copied, not shared
    with OpenAIBackend("https://api.example.com/v1", "m", max_retries=0, retry_backoff=0, temperature=2) as backend:
        assert backend.options.max_retries == 0
    assert RulesBackend().options == RulesOptions()


BACKENDS = [(OpenAIBackend, OpenAIOptions), (RulesBackend, RulesOptions), (TransformersBackend, TransformersOptions)]


@pytest.mark.parametrize(("backend", "options"), BACKENDS)
def test_a_backends_keywords_are_its_options_fields_declared_once_with_their_help(backend, options):
    # The signature load_judge checks names against is read from the dataclass: the fields, then options=.
    parameters = list(inspect.signature(backend).parameters.values())
    fields = dataclasses.fields(options)
    assert [p.name for p in parameters] == [f.name for f in fields] + ["options"]
    assert [p.default for p in parameters[:-1]] == [
        inspect.Parameter.empty if f.default is dataclasses.MISSING else f.default for f in fields]
    assert all(f.metadata.get("help") for f in fields), "every option says what it does"
    assert not re.search(r"^\s+(\w+): ", backend.__doc__ or "", re.M), "options are not restated in the docstring"


def test_a_backend_takes_an_options_object_keywords_or_both():
    given = OpenAIOptions(URL, "m", timeout=3.0)
    with OpenAIBackend(options=given) as backend:
        assert backend.options == given
    with OpenAIBackend(options=given, timeout=5.0) as backend:  # a keyword changes the object's value
        assert (backend.options.timeout, backend.options.model, given.timeout) == (5.0, "m", 3.0)
    with OpenAIBackend(URL, model="m") as backend:  # positional, in field order, as before
        assert backend.options.base_url == URL
    judge = load_judge("openai", options=given, concurrency=2)
    assert (judge.backend.options.timeout, judge.backend.options.concurrency) == (3.0, 2)
    with pytest.raises(UnknownOptionError, match=r"unknown option 'timout' \(did you mean 'timeout'\?\)"):
        OpenAIBackend(URL, "m", timout=3)
    with pytest.raises(OptionError, match="^options must be a RulesOptions"):
        RulesBackend(options=given)
    with pytest.raises(OptionError, match="^timeout must "):  # the object's checks run on the changed values
        OpenAIBackend(options=given, timeout=-1)


def test_ea_judge_prints_a_bad_option_as_one_line(capsys):
    code = main(["judge", "--backend", "openai", "--base-url", "127.0.0.1:8000/v1", "--model", "m", "q", "c"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.splitlines() == ["ea-judge judge: error: base_url must be an http:// or https:// URL with a host, "
                                "got '127.0.0.1:8000/v1'"]
