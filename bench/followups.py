"""Follow-ups offline: the chat-style follow-ups of tests/support/followup_cases.py asked on
the seed article, each after its first question, with the last short answer read for the
pronoun (now) and with the follow-up asked after the previous question (before).

    NEWSDESK_HOME=/tmp/seedhome .venv/bin/newsdesk index ../shared/seed
    NEWSDESK_HOME=/tmp/seedhome .venv/bin/python -m bench.followups

A follow-up counts as answered when its answer (short answer and sentences) names what the
case expects. See BENCHMARKS.md, "Follow-ups offline".
"""

from __future__ import annotations

from bot.settings import Settings
from bot.wiring.answering import build_answering
from tests.support.followup_cases import FOLLOW_UPS


def main() -> int:
    service = build_answering(Settings()).service
    answered = {"before": 0, "now": 0}
    for first, follow_up, expected in FOLLOW_UPS:
        earlier = service.answer(first)
        remembered = {
            "before": (earlier.standalone, earlier.answer),  # no short answer to read
            "now": (earlier.standalone, earlier.as_shown),
        }
        for name, exchange in remembered.items():
            answer = service.answer(follow_up, history=[exchange])
            right = expected.lower() in f"{answer.short_answer} {answer.answer}".lower()
            answered[name] += right
            print(f"{name:<7}{'yes' if right else 'no':<5}{answer.standalone}")
    for name, count in answered.items():
        print(f"{name}: {count} of {len(FOLLOW_UPS)} follow-ups answered")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
