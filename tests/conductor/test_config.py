import pytest

from conductor.config import ConfigError, load_credentials, load_project_config
from tests.conductor.engine_helpers import trust_project


def test_defaults_without_a_project_file(tmp_path):
    config = load_project_config(tmp_path)
    assert (config.root, config.tier3.provider, config.tier3.model, config.tier4) == (tmp_path.resolve(), None, None,
                                                                                      None)
    assert config.archetype("anything").trust == "step"
    assert config.tracks_path == tmp_path.resolve() / "tracks"


def test_file_then_environment_then_flags(tmp_path):
    (tmp_path / "project.toml").write_text(
        '[tier3]\nprovider = "anthropic"\nmodel = "claude-a"\n[archetypes.fast]\ntrust = "auto"\n'
        "[shell]\ntimeout_seconds = 30\n")
    trust_project(tmp_path)
    config = load_project_config(tmp_path, environ={"CONDUCTOR_TIER3_MODEL": "claude-b"})
    assert (config.tier3.provider, config.tier3.model, config.shell.timeout_seconds) == ("anthropic", "claude-b", 30)
    assert config.archetype("fast").trust == "auto"
    config = load_project_config(tmp_path, {"tier3.model": "claude-c", "tier4.provider": "gemini"}, environ={})
    assert (config.tier3.model, config.tier4.provider) == ("claude-c", "gemini")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[tier3]\nprovider = "mistral"\n', "tier3.provider: `mistral` is not one of anthropic, gemini, openai, "
                                              "scripted"),
        ("[shell]\ntimeout_seconds = -1\n", "shell.timeout_seconds: Input should be greater than 0"),
        ("[tier3\n", "project.toml: Expected ']'"),
        ("typo_key = 1\n", "unknown key `typo_key` in the top level (known: "),
    ],
)
def test_bad_configuration_names_file_and_field(tmp_path, text, message):
    (tmp_path / "project.toml").write_text(text)
    with pytest.raises(ConfigError) as error:
        load_project_config(tmp_path, environ={})
    assert message in str(error.value)
    assert str(tmp_path / "project.toml") in str(error.value)


def test_credentials_file_wins_over_environment_and_errors_never_quote_keys(tmp_path):
    config = load_project_config(tmp_path, environ={})
    env = {"ANTHROPIC_API_KEY": "env-anthropic-key", "GOOGLE_API_KEY": "env-google-key"}
    credentials = load_credentials(config, environ=env)
    assert credentials.anthropic_api_key.get_secret_value() == "env-anthropic-key"
    assert credentials.gemini_api_key.get_secret_value() == "env-google-key"
    (tmp_path / "credentials.toml").write_text('anthropic_api_key = "file-key-123456"\n')
    assert load_credentials(config, environ=env).anthropic_api_key.get_secret_value() == "file-key-123456"
    (tmp_path / "credentials.toml").write_text('anthropic_api_key = "file-key-123456\n')
    with pytest.raises(ConfigError) as error:
        load_credentials(config, environ=env)
    assert "file-key" not in str(error.value) and "not valid TOML (line 1)" in str(error.value)


def test_a_credentials_file_that_is_not_utf8_or_not_a_file_is_one_line(tmp_path):
    config = load_project_config(tmp_path, environ={})
    (tmp_path / "credentials.toml").write_bytes(b'anthropic_api_key = "sk-\xff\xfe"\n')
    with pytest.raises(ConfigError) as error:
        load_credentials(config, environ={})
    assert str(error.value) == f"{tmp_path / 'credentials.toml'}: not valid UTF-8 (byte 24)"
    (tmp_path / "credentials.toml").unlink()
    (tmp_path / "credentials.toml").mkdir()
    with pytest.raises(ConfigError, match="credentials.toml: cannot be read: Is a directory"):
        load_credentials(config, environ={})


@pytest.mark.parametrize(("toml", "message"), [
    ('[tier3]\nprovder = "anthropic"\n', "unknown key `provder` in [tier3]; did you mean `provider`?"),
    ('[archetypes.docs]\ntrsut = "auto"\n', "unknown key `trsut` in [archetypes.docs]; did you mean `trust`?"),
    ('trakcs_dir = "x"\n', "unknown key `trakcs_dir` in the top level; did you mean `tracks_dir`?"),
    ('[guard]\nzzz = 1\n', "unknown key `zzz` in [guard] (known: max_file_bytes, secret_files)"),
    ('[tier3]\nprovider = "antropic"\n',
     "tier3.provider: `antropic` is not one of anthropic, gemini, openai, scripted; did you mean `anthropic`?"),
])
def test_config_mistakes_are_said_in_a_persons_words_with_the_near_miss(tmp_path, toml, message):
    (tmp_path / "project.toml").write_text(toml)
    with pytest.raises(ConfigError) as error:
        load_project_config(tmp_path, environ={})
    assert str(error.value) == f"{tmp_path.resolve() / 'project.toml'}: {message}"


def test_a_misspelt_variable_and_a_misspelt_credential_name_their_near_miss(tmp_path):
    with pytest.raises(ConfigError) as error:
        load_project_config(tmp_path, environ={"CONDUCTOR_TIER3_PROVDER": "gemini"})
    assert str(error.value) == "unknown variable CONDUCTOR_TIER3_PROVDER; did you mean CONDUCTOR_TIER3_PROVIDER?"
    assert load_project_config(tmp_path, environ={"CONDUCTOR_COMMAND": "abc"}).tier3.provider is None  # not ours
    config = load_project_config(tmp_path, environ={})
    (tmp_path / "credentials.toml").write_text('anthropic_key = "sk-ant-0123456789"\n')
    with pytest.raises(ConfigError) as error:
        load_credentials(config, environ={})
    assert str(error.value) == ("credentials: unknown or invalid keys: `anthropic_key` (did you mean "
                                "`anthropic_api_key`?); known: anthropic_api_key, gemini_api_key, openai_api_key")
    assert "sk-ant" not in str(error.value)
