import re
from pathlib import Path

import pytest

from bot.answering.prompts import PLACEHOLDERS, PromptError, PromptLibrary, validate
from bot.settings import PROJECT_DIR, SHIPPED_PROMPTS_DIR
from bot.state.database import open_database
from bot.state.prompts import DatabasePromptStore


def test_shipped_prompts_are_valid() -> None:
    library = PromptLibrary(SHIPPED_PROMPTS_DIR)
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
        ("refusal", "x" * 20_001, "the limit is 20,000"),
        # A format spec would pad every question to 20 MB before the LLM sees it.
        ("answer", "{question:>20000000} {passages}", "{question:>20000000} has a format spec"),
        ("answer", "{question!r} {passages}", "{question!r} has a conversion"),
        ("answer", "{question} {passages:{question}}", "{passages:{question}} has a format"),
        ("help", "{articles!s:>9} {latest}", "{articles!s:>9} has a conversion"),
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


def shipped_copy(tmp_path: Path) -> PromptLibrary:
    folder = tmp_path / "prompts"
    folder.mkdir()
    for name in PLACEHOLDERS:
        text = (SHIPPED_PROMPTS_DIR / f"{name}.txt").read_text()
        (folder / f"{name}.txt").write_text(text)
    library = PromptLibrary(folder, store(tmp_path))
    library.notice_all_edits()  # as building the service does: the shipped texts are version 1
    return library


def store(tmp_path: Path) -> DatabasePromptStore:
    return DatabasePromptStore(open_database(f"sqlite:///{tmp_path / 'state.sqlite'}"))


def test_reading_a_template_never_writes(tmp_path: Path) -> None:
    library = PromptLibrary(SHIPPED_PROMPTS_DIR, store(tmp_path))
    assert library.template("answer") and library.render("refusal")
    assert all(library.history(name) == [] for name in PLACEHOLDERS)
    library.notice_all_edits()
    assert all(len(library.history(name)) == 1 for name in PLACEHOLDERS)


def test_every_change_is_a_version_with_author_and_time(tmp_path: Path) -> None:
    library = shipped_copy(tmp_path)
    (tmp_path / "prompts" / "refusal.txt").write_text("Edited by hand.")
    assert library.render("refusal") == "Edited by hand."
    assert len(library.history("refusal")) == 1, "reading a template never writes"
    assert library.notice_edits("refusal") is not None
    published = library.publish("refusal", "Not in the articles, sorry.", "telegram:7 @ed")
    assert published.number == 3 and library.render("refusal") == "Not in the articles, sorry."
    first, second, third = library.history("refusal")
    assert (first.author, second.author, third.author) == (
        "shipped",
        "edited on disk",
        "telegram:7 @ed",
    )
    assert second.text == "Edited by hand." and third.at.endswith("+00:00")
    assert "-Edited by hand.\n+Not in the articles, sorry." in library.diff("refusal")


def test_an_invalid_version_is_refused_and_the_live_one_stays(tmp_path: Path) -> None:
    library = shipped_copy(tmp_path)
    before = library.template("answer")
    with pytest.raises(PromptError, match=r"lacks placeholder \{passages\}"):
        library.publish("answer", "Answer {question}", "cli:ed")
    assert library.template("answer") == before and len(library.history("answer")) == 1
    # An invalid edit made on disk is refused too: the last valid version stays live.
    (tmp_path / "prompts" / "answer.txt").write_text("Answer {question} {oops}")
    assert library.template("answer") == before


def test_rollback_publishes_an_earlier_version_again(tmp_path: Path) -> None:
    library = shipped_copy(tmp_path)
    shipped = library.template("refusal")
    library.publish("refusal", "Second.", "a")
    library.publish("refusal", "Third.", "a")
    assert library.rollback("refusal", "b").note == "rollback to version 2"
    assert library.template("refusal") == "Second."
    assert library.rollback("refusal", "b", 1).number == 5
    assert library.template("refusal") == shipped
    with pytest.raises(PromptError, match="no version 9"):
        library.rollback("refusal", "b", 9)


def test_a_candidate_override_is_not_published(tmp_path: Path) -> None:
    library = shipped_copy(tmp_path)
    trial = library.with_override("refusal", "Candidate.")
    assert trial.render("refusal") == "Candidate."
    assert library.render("refusal") != "Candidate." and len(library.history("refusal")) == 1
    with pytest.raises(PromptError, match="unknown placeholder"):
        library.with_override("refusal", "{nope}")


def test_published_prompts_never_touch_the_shipped_defaults(tmp_path: Path) -> None:
    library = shipped_copy(tmp_path)
    defaults = library.folder
    shipped = (defaults / "refusal.txt").read_text()
    assert library.render("refusal") == shipped.strip()  # nothing published yet: the default
    library.publish("refusal", "Live text.", "cli:ed")
    assert (defaults / "refusal.txt").read_text() == shipped
    assert sorted(p.name for p in defaults.iterdir()) == sorted(f"{n}.txt" for n in PLACEHOLDERS)
    assert library.with_override("answer", "{question} {passages}").render("refusal") == (
        "Live text."
    )
