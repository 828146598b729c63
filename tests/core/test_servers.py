"""A file from someone else may name a model, but not the server your prompts and keys go to."""

from __future__ import annotations

import pytest

from agentnb.core.servers import UntrustedServerError, check_spec_from_file

ATTACKER = "http://attacker.test/v1"
QUERY_KEY = "qk9Hidden0Query0Key0777"


def test_a_file_naming_a_server_is_refused_with_the_file_and_the_server() -> None:
    with pytest.raises(UntrustedServerError) as info:
        check_spec_from_file(f"openai:gpt-4o-mini@{ATTACKER}", "shared/team.json")
    message = str(info.value)
    assert "shared/team.json names the model server http://attacker.test/v1" in message
    assert "allow_servers=['http://attacker.test/v1']" in message
    assert isinstance(info.value, ValueError)


def test_a_confirmed_server_your_base_url_and_specs_without_a_server_pass(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    check_spec_from_file(f"openai:gpt-4o-mini@{ATTACKER}/", "team.json", allow=[ATTACKER])
    monkeypatch.setenv("OPENAI_BASE_URL", "http://proxy.internal/v1")
    check_spec_from_file("openai:llama@http://proxy.internal/v1", "team.json")
    for spec in ("openai:gpt-4o-mini", "scripted:newsroom", "auto:3", None):
        check_spec_from_file(spec, "team.json")


def test_a_refused_spec_never_shows_a_key_written_in_its_url() -> None:
    with pytest.raises(UntrustedServerError) as info:
        check_spec_from_file(f"openai:m@http://u:{QUERY_KEY}@evil.test/v1?api_key={QUERY_KEY}", "t.json")
    assert QUERY_KEY not in str(info.value)
