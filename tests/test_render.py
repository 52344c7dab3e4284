import random
import re
from html import unescape

import pytest

from bot.answering.answers import Answer, Citation
from bot.render import (
    TELEGRAM_LIMIT,
    plain_text_of,
    render_html,
    render_plain_messages,
    render_text,
    split_messages,
    telegram_length,
)


def citation(n: int = 1, **fields: object) -> Citation:
    values: dict[str, object] = {
        "n": n,
        "title": "Troops <advance> & win",
        "source": "example.org",
        "url": "https://example.org/a?x=1&y=2",
        "published": "2017-05-26",
        "quote": 'He said "<b>go</b>" & left.',
        "chunk_id": "c1",
        "score": 0.5,
    }
    values.update(fields)
    return Citation(**values)  # type: ignore[arg-type]


def answer(text: str = "They <script>won</script> & left [1].", **fields: object) -> Answer:
    values: dict[str, object] = {"citations": [citation()], **fields}
    return Answer(question="q", answer=text, refused=False, **values)  # type: ignore[arg-type]


def visible_text(html: str) -> str:
    return re.sub(r"\s+", "", unescape(re.sub(r"<[^>]*>", "", html)))


def test_html_escapes_everything_from_articles() -> None:
    (message,) = render_html(answer())
    assert "<script>" not in message and "&lt;script&gt;" in message
    assert "Troops &lt;advance&gt; &amp; win" in message
    assert '<a href="https://example.org/a?x=1&amp;y=2">' in message
    assert "&lt;b&gt;go&lt;/b&gt;" in message
    assert "<blockquote>" in message and "[1]" in message
    assert "example.org · 2017-05-26" in message
    # only our own tags remain
    assert set(re.findall(r"</?([a-z]+)", message)) <= {"a", "b", "blockquote", "i"}


def test_non_http_urls_are_not_linked() -> None:
    (message,) = render_html(answer(citations=[citation(url="javascript:alert(1)")]))
    assert "href" not in message and "javascript" not in message


def test_unsupported_answer_is_flagged() -> None:
    flagged = Answer(question="q", answer="Claim.", refused=False, unsupported=True)
    assert "was left out" in render_html(flagged)[0]
    assert "was left out" in render_text(flagged)


def test_plain_text_lists_numbered_sources() -> None:
    text = render_text(answer())
    assert "Sources:\n[1] Troops <advance> & win (example.org · 2017-05-26)" in text
    assert "https://example.org/a?x=1&y=2" in text
    assert '“He said "<b>go</b>" & left.”' in text


def test_long_answer_splits_on_paragraph_boundaries() -> None:
    citations = [citation(n, quote="Q" * 1500 + f" {n}") for n in range(1, 7)]
    long = Answer(question="q", answer="A short answer [1].", refused=False, citations=citations)
    messages = render_html(long)
    assert len(messages) > 1
    assert all(telegram_length(m) <= TELEGRAM_LIMIT for m in messages)
    for message in messages:  # no citation is torn across two messages
        assert message.count("<blockquote>") == message.count("</blockquote>")
    assert visible_text("".join(messages)) == visible_text(
        "\n".join(render_html(long, limit=10**6))
    )


def test_plain_fallback_fits_too() -> None:
    citations = [citation(n, quote="<&> " * 600) for n in range(1, 4)]
    long = Answer(question="q", answer="x [1]", refused=False, citations=citations)
    messages = render_plain_messages(long)
    assert len(messages) > 1 and all(telegram_length(m) <= TELEGRAM_LIMIT for m in messages)
    assert "<&>" in messages[-1]


def test_telegram_length_counts_utf16_units() -> None:
    assert telegram_length("a") == 1
    assert telegram_length("😀") == 2


@pytest.mark.parametrize("seed", range(40))
def test_split_never_exceeds_limit_loses_text_or_breaks_tags(seed: int) -> None:
    rng = random.Random(seed)
    limit = rng.choice([60, 120, 500, TELEGRAM_LIMIT])
    words = [
        rng.choice(["word", "&lt;&amp;&gt;", "😀😀", "Qairawan", "x" * rng.randint(1, 150)])
        for _ in range(rng.randint(1, 600))
    ]
    paragraph = " ".join(words)
    if rng.random() < 0.5:
        paragraph = f'<b>bold</b> <a href="https://x.org/?a=1&amp;b=2">{paragraph}</a> tail'
    if rng.random() < 0.5:
        paragraph = f"<blockquote>{paragraph}</blockquote>"
    messages = split_messages([paragraph, "second"], limit, html=True)
    assert all(telegram_length(m) <= limit for m in messages)
    for message in messages:
        assert sorted(re.findall(r"<([a-z]+)[ >]", message)) == sorted(
            re.findall(r"</([a-z]+)>", message)
        )
        assert not re.search(r"&[#\w]*$", message.split(">")[-1])  # no entity cut in half
    assert visible_text("".join(messages)) == visible_text(paragraph + "second")


HOSTILE_TITLE = "<b>&amp; … &</i>" * 170


@pytest.mark.parametrize("limit", [TELEGRAM_LIMIT, 700, 120])
def test_the_hostile_title_is_split_only_between_complete_elements_and_entities(
    limit: int,
) -> None:
    from bot.telegram.buttons import passage_html
    from tests.support.fake_telegram import parse_telegram_html

    cited = [citation(n, title=HOSTILE_TITLE, quote="Quote & <i>more</i>. " * 40) for n in (1, 2)]
    answer = Answer("q", "The road is open [1][2].", refused=False, citations=cited)
    passages = split_messages([passage_html(cited[0], "Text & <b>x</b>. " * 400)], limit, html=True)
    messages = render_html(answer, limit) + passages
    assert len(messages) > 2
    shown = ""
    for message in messages:
        assert telegram_length(message) <= limit
        visible, error = parse_telegram_html(message)
        assert error == "", message
        # No tag or entity cut open at either end of a message.
        assert not re.search(r"<[^>]*$|&[#\w]*$", message) and not re.match(r"^[^<]*>", message)
        shown += visible
    assert "<b>&amp; … &</i>" in shown  # the title's markup shown as text


def test_the_plain_fallback_of_a_message_is_what_it_shows() -> None:
    html = '<b>[1]</b> <a href="https://x.org/?a=1&amp;b=2">Title &amp; co</a>\n<i>&lt;b&gt;</i>'
    assert plain_text_of(html) == "[1] Title & co (https://x.org/?a=1&b=2)\n<b>"
    long_link = f'<a href="https://x.org/{"a" * 4000}">t</a>' + "x" * 4000
    assert plain_text_of(long_link) == "t" + "x" * 4000  # the address left out to fit


def test_the_short_answer_is_bold_on_the_first_line_in_telegram_and_first_in_the_terminal() -> None:
    answer = Answer(
        question="Who leads it?",
        answer="Hadi <al-Amiri> leads it. [1]",
        refused=False,
        citations=[citation(1)],
        short_answer="Hadi <al-Amiri>",
    )
    first = render_html(answer)[0].split("\n")
    assert first[0] == "<b>Hadi &lt;al-Amiri&gt;</b>"
    assert first[1] == "Hadi &lt;al-Amiri&gt; leads it. [1]"
    lines = render_text(answer).splitlines()
    assert lines[:2] == ["Hadi <al-Amiri>", "Hadi <al-Amiri> leads it. [1]"]
    without = Answer(question="q", answer="A sentence. [1]", refused=False, citations=[citation(1)])
    assert render_text(without).splitlines()[0] == "A sentence. [1]"
    assert "<b>" not in render_html(without)[0].split("\n")[0]
