"""The reader: what a question asks for, the things of that kind in the passages, the one that
answers (never one that repeats the question), and the answer's shape: the short answer, then
the sentence it stands in, cited, with its quote under Sources."""

from __future__ import annotations

import pytest
from langchain_core.documents import Document

from bot.answering.asked import AnswerKind, asked_description, asked_unit, expected_kind
from bot.answering.candidates import kind_fit, repeated_share, spans, too_wide
from bot.answering.extractive import ExtractiveAnswerer, sentence_pool
from bot.answering.names import full_names
from bot.answering.reader import read, shape
from index.embeddings import SentenceTransformerEmbeddings


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Who leads the Badr Organization?", AnswerKind.PERSON),
        ("Which 23-time grand slam tennis champion is set to retire?", AnswerKind.PERSON),
        ("Which airline is slashing 31,000 flights during November?", AnswerKind.ORGANISATION),
        ("Which automaker recalled 2.9 million vehicles this week?", AnswerKind.ORGANISATION),
        ("What country announced a crackdown on rainbow-colored toys?", AnswerKind.PLACE),
        ("Where did al-Baghdadi declare the group's rule in Iraq?", AnswerKind.PLACE),
        ("The prime minister of which European nation stepped down?", AnswerKind.PLACE),
        ("How many Iraqis were killed in April?", AnswerKind.NUMBER),
        ("What percentage of people avoid the news?", AnswerKind.NUMBER),
        ("When did government troops regain control over eastern Mosul?", AnswerKind.DATE),
        ("In which year did the country split from the Soviet Union?", AnswerKind.DATE),
        ("What did their discovery involve?", AnswerKind.OTHER),
        ("Which new product did Tesla debut at an event this week?", AnswerKind.OTHER),
        # A relative "which" is not the one that asks; one after an opening phrase is.
        (
            "A balloon, which Pentagon officials said was built to spy, was shot down off the "
            "coast of which state?",
            AnswerKind.PLACE,
        ),
        ("In addition to the US, which country said it will send tanks?", AnswerKind.PLACE),
        ("In a win for unions, which company agreed to a deal?", AnswerKind.ORGANISATION),
        ("Which U.S. state repealed the law?", AnswerKind.PLACE),
        ("Which company’s stock split 20-for-1?", AnswerKind.ORGANISATION),
        ("Which band announced a reunion tour?", AnswerKind.ORGANISATION),
        ("Which Republican suffered a string of defeats?", AnswerKind.PERSON),
        ("She lost her House seat this week. What is her name?", AnswerKind.PERSON),
    ],
)
def test_the_kind_of_thing_a_question_asks_for(question: str, kind: AnswerKind) -> None:
    assert expected_kind(question) is kind


def test_the_things_of_each_kind_a_sentence_names() -> None:
    sentence = (
        "Hadi al-Amiri said on Thursday, June 8, 2017 that 317 Iraqis and $2.5 million "
        "were lost near Tal Sufouq."
    )
    names = [s.text for s in spans(sentence, AnswerKind.PERSON)]
    assert names == ["Hadi al-Amiri", "Iraqis", "Tal Sufouq"], names
    numbers = [s.text for s in spans(sentence, AnswerKind.NUMBER)]
    assert "317" in numbers and "$2.5 million" in numbers, numbers
    dates = [s.text for s in spans(sentence, AnswerKind.DATE)]
    assert "June 8, 2017" in dates and "Thursday" in dates, dates
    # A word capitalised only because it opens the sentence is no name.
    assert spans("Several officials left.", AnswerKind.PERSON) == []
    # A name may open with a lowercase "al-".
    troops = "Last week, al-Hashd al-Shaabi troops and army units moved."
    names = [s.text for s in spans(troops, AnswerKind.PERSON)]
    assert names == ["al-Hashd al-Shaabi"], names


def passage(text: str, n: int = 1, published: str = "2017-06-08") -> Document:
    return Document(
        page_content=text,
        metadata={"id": f"c{n}", "title": f"Article {n}", "published": published},
    )


BADR = (
    "Badr Organization has announced storming the front defense line of Islamic State. "
    "In a statement, Hadi al-Amiri, the leader of the organization, said the troops resumed "
    "their advance."
)


@pytest.mark.parametrize(
    ("sentence", "names"),
    [
        ("For the Suns, trading for Durant is an all-in move.", ["Suns", "Durant"]),
        ("If Georgia votes again, Herschel Walker runs.", ["Georgia", "Herschel Walker"]),
        ("In Brazil, mourners paid tribute.", ["Brazil"]),
        ("Although Martin Sheen was born Ramon Estévez.", ["Martin Sheen", "Ramon Estévez"]),
        # "The" and a capitalised particle are part of the name.
        ("The Buffalo Bills took a cornerback.", ["The Buffalo Bills"]),
        ("Al Qaeda claimed the attack.", ["Al Qaeda"]),
        ("Then Bank of America said so.", ["Bank of America"]),
        # One word left after the opening word is still a name: not the sentence's opener.
        ("With Netherlands out, fans left.", ["Netherlands"]),
        ("Hundreds of New York Times staff walked out.", ["New York Times"]),
        ("Its TV deal and the CEO of Apple TV", ["Apple TV"]),
        ("", []),
    ],
)
def test_a_name_is_read_without_the_word_opening_its_sentence(
    sentence: str, names: list[str]
) -> None:
    found = spans(sentence, AnswerKind.PERSON)
    assert [span.text for span in found] == names
    assert all(sentence[span.start : span.end] == span.text for span in found)


def test_a_number_in_a_name_or_a_vague_plural_is_no_amount() -> None:
    sentence = "Covid-19 cases and F-35 jets: millions of doses, 2 million swings and 17 pilots."
    found = [span.text for span in spans(sentence, AnswerKind.NUMBER)]
    assert found == ["2 million", "17"], found


def test_asked_true_or_false_no_name_is_the_short_answer() -> None:
    question = "True or false: Hadi al-Amiri leads the Badr Organization."
    documents = [passage(BADR)]
    assert read(question, documents, sentence_pool(documents), {0: 0.9, 1: 0.5}) is None
    # The same passage names him, asked who.
    assert read("Who leads the Badr Organization?", documents, sentence_pool(documents), {})


def test_a_candidate_that_repeats_the_question_is_not_chosen() -> None:
    question = "Who leads the Badr Organization?"
    documents = [passage(BADR)]
    pool = sentence_pool(documents)
    assert repeated_share("Badr Organization", question) == 1.0
    reading = read(question, documents, pool, {0: 0.9, 1: 0.5})
    assert reading is not None
    assert reading.short_answer == "Hadi al-Amiri"
    assert "Badr Organization" not in reading.short_answer


@pytest.mark.parametrize(
    ("span", "question", "share"),
    [
        (
            "The FAA",
            "Flights were delayed because of what at the Federal Aviation Administration?",
            1,
        ),
        ("Federal Aviation Administration", "What did the FAA blame for the delays?", 1.0),
        ("United States", "Which US state banned the sale?", 1.0),
        (
            "NOTAM",
            "Flights were delayed because of what at the Federal Aviation Administration?",
            0,
        ),
    ],
)
def test_a_name_the_question_gives_by_its_initials_repeats_it(
    span: str, question: str, share: float
) -> None:
    assert repeated_share(span, question) == share


@pytest.mark.parametrize(
    ("span", "question", "share"),
    [
        ("Russia", "Putin will station Russian nuclear weapons in which country?", 1.0),
        ("Sri Lanka", "The Sri Lankan president fled to which country?", 1.0),
        ("Ukraine", "Russia admitted defeat in which Ukrainian region?", 1.0),
        ("Israel", "Which country mediated in the Israel-Hamas conflict?", 1.0),
        # Another place, a longer word of another meaning, a name that is no place.
        ("Belarus", "Putin will station Russian nuclear weapons in which country?", 0.0),
        ("Indiana", "Which Indian city hosted the summit?", 0.0),
        ("Mark", "Which market fell most?", 0.0),
    ],
)
def test_a_place_whose_people_the_question_names_repeats_it(
    span: str, question: str, share: float
) -> None:
    assert repeated_share(span, question) == share


@pytest.mark.parametrize(
    ("name", "fits"),
    [
        ("Paul Lynch", (1.0, 0.0)),
        ("Bono", (0.5, 0.0)),
        # A prize, an event, a building, or a name led by "the", is no one.
        ("The Nobel Prize", (0.0, 0.0)),
        ("Ted Lindsay Award", (0.0, 0.0)),
        ("The PGA Tour", (0.0, 0.0)),
        ("Buckingham Palace", (0.0, 0.0)),
        ("Islamic State", (0.0, 1.0)),
    ],
)
def test_what_looks_like_a_person(name: str, fits: tuple[float, float]) -> None:
    assert kind_fit(name, AnswerKind.PERSON) == fits


def test_the_whole_country_is_no_answer_when_a_part_of_it_is_asked() -> None:
    assert too_wide("United States", "Which state has the highest gas prices?")
    assert too_wide("The U.S.", "Which US city was hit by a blizzard?")
    assert too_wide("United States", "Which U.S. city was hit by a blizzard?")
    assert not too_wide("United States", "Which country won the most medals?")
    assert not too_wide("California", "Which state has the highest gas prices?")
    assert not too_wide("United States", "Who won?")
    question = "Which state has the highest gas prices?"
    documents = [passage("The United States average is $5. Drivers in California pay $6.")]
    reading = read(question, documents, sentence_pool(documents), {0: 0.9, 1: 0.8})
    assert reading is not None and reading.short_answer == "California"


def test_another_name_in_brackets_for_the_subject_repeats_the_question_too() -> None:
    question = "who leads al-Hashd al-Shaabi?"
    documents = [
        passage(
            "Hadi al-Amiri, the leader of the organization, which fights under the broader "
            "al-Hashd al-Shaabi (Popular Mobilization Units), said the troops resumed."
        )
    ]
    pool = sentence_pool(documents)
    reading = read(question, documents, pool, {0: 0.9})
    assert reading is not None and reading.short_answer == "Hadi al-Amiri", reading


def test_agreement_across_passages_wins_over_a_single_mention() -> None:
    question = "Which company is the latest tech giant to announce layoffs?"
    documents = [
        passage("Google, a tech giant, was mentioned. Amazon is the latest to announce layoffs."),
        passage("Amazon said it would cut 10,000 jobs in layoffs.", 2),
        passage("Layoffs at Amazon continued this week.", 3),
    ]
    reading = read(question, documents, sentence_pool(documents), {})
    assert reading is not None and reading.short_answer == "Amazon"


@pytest.mark.parametrize(
    ("question", "description"),
    [
        ("He is a valued member of which team?", "team"),
        ("What team does he play for?", "team"),
        ("Which former pope was laid to rest this week?", "former pope"),
        ("Which US state’s governor is pushing to ban mandates?", "US state"),
        ("Which home goods chain recently said it may close?", "home goods chain"),
        ("Who won the award for best actress?", "actress"),
        ("Who won Best Director?", "director"),
        ("Who won the match on Sunday?", None),
        ("Its rocket, which exploded, was launched from which spaceport?", "spaceport"),
        ("Which major U.S. city will host the Final Four?", "major US city"),
        ("What did scientists discover?", None),
        ("", None),
    ],
)
def test_what_the_question_calls_the_answer(question: str, description: str | None) -> None:
    assert asked_description(question) == description


def test_the_name_nearest_to_what_the_question_calls_the_answer_is_chosen(
    embeddings: SentenceTransformerEmbeddings,
) -> None:
    question = "Which team does Kofi Mensah play for?"
    documents = [
        passage("Kofi Mensah of the Lakeside Hawks was treated at Riverside General Hospital.")
    ]
    pool = sentence_pool(documents)
    plain = read(question, documents, pool, {0: 0.9})
    assert plain is not None and plain.short_answer == "Riverside General Hospital"

    def describe(texts: list[str]) -> list[list[float]]:
        return embeddings.embed_sentences(texts, 4)

    described = read(question, documents, pool, {0: 0.9}, describe=describe)
    assert described is not None and described.short_answer == "Lakeside Hawks"
    assert ExtractiveAnswerer(embeddings)(question, documents).short_answer == "Lakeside Hawks"


@pytest.mark.parametrize(
    ("sentence", "short"),
    [
        ("Crowds cheered as Matthew Perry arrived at the Hilton this week.", ""),
        ("Crowds celebrated Diwali as Matthew Perry arrived at the Hilton this week.", "Diwali"),
    ],
)
def test_a_name_far_from_what_the_question_calls_the_answer_is_no_short_answer(
    embeddings: SentenceTransformerEmbeddings, sentence: str, short: str
) -> None:
    question = "Which Hindu festival did the crowds celebrate this week?"
    documents = [passage(sentence)]

    def describe(texts: list[str]) -> list[list[float]]:
        return embeddings.embed_sentences(texts, 4)

    reading = read(question, documents, sentence_pool(documents), {0: 0.9}, describe=describe)
    assert (reading.short_answer if reading else "") == short
    answer = ExtractiveAnswerer(embeddings)(question, documents)
    assert answer.short_answer == short
    assert answer.answer == f"{sentence} [1]", "the sentence is still given, and cited"


def test_with_nothing_of_the_asked_kind_the_best_sentence_is_given_alone() -> None:
    pool = [(0, "A."), (0, "B."), (1, "C."), (1, "D.")]
    assert shape(None, [3, 1, 2], pool) == ("", [3])


@pytest.fixture(scope="module")
def answerer(embeddings: SentenceTransformerEmbeddings) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(embeddings)


def test_the_short_answer_comes_first_then_its_sentence_cited_and_quoted(
    answerer: ExtractiveAnswerer,
) -> None:
    answer = answerer("Who leads the Badr Organization?", [passage(BADR)])
    assert answer.short_answer == "Hadi al-Amiri"
    assert answer.answer.startswith("In a statement, Hadi al-Amiri, the leader"), answer.answer
    assert answer.answer.endswith("[1]")
    assert "Hadi al-Amiri" in answer.citations[0].quote, "the cited sentence's quote is shown"
    assert answer.citations[0].quote in BADR


def test_two_cited_sentences_of_one_passage_are_both_in_its_quote() -> None:
    from bot.answering.extractive import answer_from

    text = "First sentence here. A middle one. The last one, cited too."
    documents = [passage(text)]
    chosen = [(0, "The last one, cited too."), (0, "First sentence here.")]
    answer = answer_from("q?", documents, chosen)
    assert answer.answer == "The last one, cited too. [1] First sentence here. [1]"
    assert answer.citations[0].quote == "First sentence here. … The last one, cited too."


VARNAK = [
    ("The Red Front controls Varnak and has reopened the market there.", "2024-04-20"),
    ("The Blue Brigade controls Varnak, its commander said in January.", "2024-01-10"),
]


def test_reports_that_differ_by_date_are_both_said_newest_first(
    answerer: ExtractiveAnswerer,
) -> None:
    documents = [passage(text, n, published) for n, (text, published) in enumerate(VARNAK, 1)]
    answer = answerer("who controls Varnak now?", documents)
    assert answer.short_answer == "The Red Front"
    assert answer.answer.startswith(
        "The Red Front, as of 20 April 2024 [1]; "
        "before that, The Blue Brigade (10 January 2024) [2].\n"
        "The Red Front controls Varnak"
    ), answer.answer
    assert {c.n for c in answer.citations} == {1, 2}


def test_the_newest_report_leads_even_when_the_reader_prefers_the_older(
    answerer: ExtractiveAnswerer,
) -> None:
    """The older report first among the passages and worded closer to the question: the
    reader may well pick it, but a question about now is answered with the newest."""
    documents = [
        passage("The Blue Brigade controls Varnak, the town council said.", 1, "2024-01-10"),
        passage("The Red Front controls Varnak now, its spokesman said.", 2, "2024-03-05"),
    ]
    answer = answerer("who controls Varnak now?", documents)
    assert answer.short_answer == "The Red Front", answer.answer
    first_line = answer.answer.splitlines()[0]
    assert first_line.startswith("The Red Front, as of 5 March 2024 ["), first_line
    assert "before that, The Blue Brigade (10 January 2024) [" in first_line
    # every [n] of the lead is a citation, and the newest report's sentence comes first
    cited = {c.n: c for c in answer.citations}
    assert "Red Front" in cited[1].quote and "Blue Brigade" in cited[2].quote


def test_reports_of_one_date_or_undated_are_not_said_to_differ(
    answerer: ExtractiveAnswerer,
) -> None:
    for published in ("2024-04-20", ""):
        documents = [passage(text, n, published) for n, (text, _) in enumerate(VARNAK, 1)]
        answer = answerer("who controls Varnak now?", documents)
        assert "Reports differ" not in answer.answer, answer.answer


def test_a_name_chosen_in_short_is_shown_in_full_when_the_passages_name_it_so() -> None:
    question = "Which team does Kofi Mensah play for?"
    documents = [
        passage("The Hawks said Kofi Mensah would play for the Hawks on Sunday. The Hawks won."),
        passage("Kofi Mensah joined the Lakeside Hawks in 2019.", 2),
    ]
    reading = read(question, documents, sentence_pool(documents), {0: 0.9, 2: 0.5})
    assert reading is not None and reading.short_answer == "Lakeside Hawks", reading
    as_written = read(
        question, documents, sentence_pool(documents), {0: 0.9, 2: 0.5}, fullest=False
    )
    assert as_written is not None and as_written.short_answer == "The Hawks"
    assert full_names({"hawks", "lakeside hawks", "hawks fan club"}) == {"hawks": "lakeside hawks"}


def test_asked_how_many_seconds_the_number_of_seconds_is_chosen() -> None:
    question = "The Doomsday Clock moved to how many seconds to midnight?"
    documents = [
        passage(
            "The Doomsday Clock moved closer to midnight, said 100 scientists. "
            "It now stands at 90 seconds to midnight."
        )
    ]
    pool = sentence_pool(documents)
    reading = read(question, documents, pool, {0: 0.9, 1: 0.8})
    assert reading is not None and reading.short_answer == "90 seconds", reading
    assert asked_unit(question) == "seconds"
    assert asked_unit("How much did it raise?") is None
    ignoring = read(question, documents, pool, {0: 0.9, 1: 0.8}, unit_weight=0.0)
    assert ignoring is not None and ignoring.short_answer == "100"


def test_a_number_ending_a_clause_is_shown_without_the_comma() -> None:
    question = "How many seasons did Kofi Mensah play?"
    documents = [passage("Kofi Mensah played 23 seasons, more than anyone, and retired.")]
    reading = read(question, documents, sentence_pool(documents), {0: 0.9}, widen=False)
    assert reading is not None and reading.short_answer == "23", reading
    # Shown with what it counts (widening.py), and still without the comma.
    reading = read(question, documents, sentence_pool(documents), {0: 0.9})
    assert reading is not None and reading.short_answer == "23 seasons", reading
    documents = [passage("Kofi Mensah, who played for 23, retired.")]
    reading = read(question, documents, sentence_pool(documents), {0: 0.9})
    assert reading is not None and reading.short_answer == "23", reading
