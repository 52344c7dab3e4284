import re
from pathlib import Path

import pytest

from bot.prompts import PLACEHOLDERS, PromptError, PromptLibrary, validate
from bot.settings import PROJECT_DIR


def test_shipped_prompts_are_valid() -> None:
    library = PromptLibrary(PROJECT_DIR / "prompts")
    for name in PLACEHOLDERS:
        assert library.template(name)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("answer", "Question: {question}", "lacks placeholder {passages}"),
        ("answer", "{question} {passages} {secret}", "unknown placeholder {secret}"),
        ("refusal", "Sorry {name}", "unknown placeholder {name}"),
        ("help", "   ", "is empty"),
        ("answer", "{question} {passages} {", "literal brace"),
        ("nonsense", "x", "unknown prompt 'nonsense'"),
    ],
)
def test_invalid_templates_are_rejected_with_a_message_naming_the_problem(
    name: str, text: str, message: str
) -> None:
    with pytest.raises(PromptError, match=message.replace("{", r"\{").replace("}", r"\}")):
        validate(name, text)


def test_edits_on_disk_are_live(tmp_path: Path) -> None:
    library = PromptLibrary(tmp_path)
    (tmp_path / "refusal.txt").write_text("First.")
    assert library.render("refusal") == "First."
    (tmp_path / "refusal.txt").write_text("Second.")
    assert library.render("refusal") == "Second."


def test_missing_prompt_file_names_the_path(tmp_path: Path) -> None:
    with pytest.raises(PromptError, match="refusal"):
        PromptLibrary(tmp_path).template("refusal")


def test_env_example_documents_every_setting_and_is_valid(tmp_path: Path) -> None:
    from bot.settings import Settings

    text = (PROJECT_DIR / ".env.example").read_text()
    documented = set(re.findall(r"^#? ?([A-Z][A-Z_]+)=", text, flags=re.MULTILINE))
    names = {field.validation_alias for field in Settings.model_fields.values()}
    assert documented == names
    env_file = tmp_path / ".env"
    env_file.write_text(text)
    settings = Settings(_env_file=env_file)  # type: ignore[call-arg]
    assert settings.telegram_bot_token is None and settings.llm is None
    assert settings.chroma_host is None
