"""Every claim of an LLM answer checked against the passage it cites: a hallucinated number, a
name the passage doesn't hold, a sentence citing nothing or a passage not given fail; a
correct paraphrase passes (`newsdesk ask --json` on the wire: tests/test_llm_wire.py)."""

from __future__ import annotations

import json

import pytest
from langchain_core.documents import Document

from bot.answering.claims import answer_sentences, check_answer, names_in, numbers_in
from bot.answering.llm import answer_from_reply
from bot.answering.prompts import PromptLibrary
from bot.settings import SHIPPED_PROMPTS_DIR

PROMPTS = PromptLibrary(SHIPPED_PROMPTS_DIR)
ATTACK = Document(
    page_content="The attack on the market in Mosul killed 317 people on 12 March 2017, "
    "officials said. Hadi al-Amiri's Badr Organization blamed the Islamic State.",
    metadata={"id": "c1", "title": "Market attack in Mosul", "source": "example.org",
              "published": "2017-03-13"},
)  # fmt: skip
MAYOR = Document(
    page_content="Ahmed Jabouri was elected mayor of Qairawan in 2016.",
    metadata={"id": "c2", "title": "New mayor", "source": "example.org"},
)


def test_a_hallucinated_number_fails_and_says_which() -> None:
    (check,) = check_answer("The attack in Mosul killed 500 people [1].", [ATTACK])
    assert not check.supported
    assert check.reason == "states 500, which [1] does not"


def test_a_name_not_in_the_cited_passage_fails() -> None:
    (check,) = check_answer("Abu Bakr al-Baghdadi ordered the attack in Mosul [1].", [ATTACK])
    assert not check.supported and check.reason == "names Abu, which [1] does not"


def test_a_name_found_only_in_another_passage_fails_for_the_sentence_citing_the_wrong_one() -> None:
    (check,) = check_answer("Ahmed Jabouri blamed the Islamic State [1].", [ATTACK, MAYOR])
    assert not check.supported and "Ahmed" in check.reason


def test_a_correct_paraphrase_passes() -> None:
    text = (
        "According to officials, 317 people died when the Mosul market was attacked [1]. "
        "Al-Amiri's group held the Islamic State responsible [1]. "
        "Qairawan has had Ahmed Jabouri as its mayor since 2016 [2]."
    )
    checks = check_answer(text, [ATTACK, MAYOR])
    assert [c.supported for c in checks] == [True, True, True], checks


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("The attack killed 317 people.", "cites no passage"),
        ("The attack killed 317 people [4].", "cites passage [4], which the model was not given"),
    ],
)
def test_a_sentence_must_cite_a_passage_it_was_given(text: str, reason: str) -> None:
    (check,) = check_answer(text, [ATTACK])
    assert not check.supported and check.reason == reason


def test_markers_after_the_full_stop_belong_to_the_sentence() -> None:
    assert answer_sentences("It killed 317 people. [1] Al-Amiri blamed IS. [1][2]") == [
        "It killed 317 people. [1]",
        "Al-Amiri blamed IS. [1][2]",
    ]


def test_numbers_and_names_are_normalized() -> None:
    assert numbers_in("1,200 killed [3] in 2017, about 3.5%") == {"1200", "2017", "3.5"}
    assert numbers_in("the 12th time since the 1990s") == {"12", "1990"}
    assert names_in("The PMU's commander, al-Amiri, met Obama in May.") == [
        "PMU", "al-Amiri", "Obama", "May",
    ]  # fmt: skip


def test_a_failing_sentence_is_dropped_and_the_answer_flagged_with_the_reason() -> None:
    reply = "The attack killed 317 people [1]. It was ordered by Abu Omar [1]."
    answer = answer_from_reply(reply, "how many died?", [ATTACK], PROMPTS)
    assert answer.answer == "The attack killed 317 people [1]."
    assert answer.unsupported and not answer.refused
    failed = [c for c in answer.checks if not c.supported]
    assert [(c.sentence, c.reason) for c in failed] == [
        ("It was ordered by Abu Omar [1].", "names Abu, which [1] does not")
    ]
    assert json.loads(json.dumps(answer.to_json()))["checks"][1]["reason"].startswith("names")


def test_an_answer_with_no_supported_sentence_is_a_flagged_refusal() -> None:
    answer = answer_from_reply("It killed 500 [1].", "how many died?", [ATTACK], PROMPTS)
    assert answer.refused and answer.unsupported and answer.citations == []
    assert "don't cover" in answer.answer


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (
            "Read the details at https://evil.example/qairawan-login [1].",
            "links to https://evil.example/qairawan-login, which [1] does not",
        ),
        (
            "Officials ask readers to write to tg://resolve?domain=evil_bot [1].",
            "links to tg://resolve?domain=evil_bot, which [1] does not",
        ),
        ("See www.evil.example for the list of the dead [1].", "links to www.evil.example"),
    ],
)
def test_a_link_the_cited_passage_does_not_give_fails(text: str, reason: str) -> None:
    (check,) = check_answer(text, [ATTACK])
    assert not check.supported and check.reason.startswith(reason), check


def test_a_link_the_cited_passage_gives_passes() -> None:
    linked = Document(
        page_content="The ministry's list is at https://gov.example/list for all to see.",
        metadata={"id": "c3", "title": "List"},
    )
    (check,) = check_answer("The ministry published its list at https://gov.example/list [1].",
                            [linked])  # fmt: skip
    assert check.supported, check


def test_a_name_hidden_in_lowercase_fails() -> None:
    freed = Document(
        page_content="Qairawan was liberated by the PMU troops on Friday.", metadata={"id": "c5"}
    )
    (check,) = check_answer("qairawan was liberated by the wagner group [1].", [freed])
    assert check.reason == "names wagner in lowercase, which [1] does not", check
    (check,) = check_answer("qairawan was liberated by the pmu troops [1].", [freed])
    assert check.supported, "every word of it is in the passage"
    # "mosul" is a name its passage only capitalises: each word must be in the passage.
    (check,) = check_answer("The attack in mosul was blamed on the wagner group [1].", [ATTACK])
    assert not check.supported and "wagner" in check.reason, check


def test_a_sentence_in_another_script_fails_unless_its_passage_has_those_words() -> None:
    (check,) = check_answer("Каирван освобожден группой Вагнера [1].", [ATTACK])
    assert not check.supported and check.reason.startswith("names Каирван"), check
    russian = Document(page_content="Каирван освобожден в мае.", metadata={"id": "c4"})
    (check,) = check_answer("Каирван освобожден [1].", [russian])
    assert check.supported, check


@pytest.mark.parametrize(
    ("text", "supported"),
    [
        ("The attack in Mosul killed three hundred and seventeen people [1].", True),
        ("The attack in Mosul killed five hundred people [1].", False),
        ("The attack in Mosul killed more than sixty people [1].", False),
        ("One of the attacks in Mosul killed 317 people [1].", True),  # "one" is no claim
    ],
)
def test_numbers_in_words_are_claims(text: str, supported: bool) -> None:
    (check,) = check_answer(text, [ATTACK])
    assert check.supported is supported, check


def test_a_correct_paraphrase_in_ordinary_case_still_passes_the_new_checks() -> None:
    text = (
        "Three hundred and seventeen people died in the Mosul market attack [1]. "
        "Officials said Hadi al-Amiri's organization blamed the Islamic State [1]."
    )
    assert all(check.supported for check in check_answer(text, [ATTACK]))
