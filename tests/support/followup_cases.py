"""Chat-style follow-ups on the seed article, as a new reader asks them: the first question,
the follow-up, and what the follow-up's answer must name. Used by tests/test_followups.py and
measured by bench/followups.py (BENCHMARKS.md, "Follow-ups offline")."""

from __future__ import annotations

FOLLOW_UPS: list[tuple[str, str, str]] = [
    ("who controls Qairawan?", "and who leads them?", "Hadi al-Amiri"),
    ("who controls Qairawan?", "how many militias are in them?", "60"),
    # The reader finds no lowercase answer ("the government"): its short answer names Hadi
    # al-Amiri, and sure of it, gives his sentence alone (tests/test_followups.py expects this
    # one to fail; BENCHMARKS.md, "As long as it needs to be").
    ("who controls Qairawan?", "who recognizes them as a national force?", "government"),
    ("Who leads the Badr Organization?", "what did he say?", "troops resumed their advance"),
    ("Who leads the Badr Organization?", "and what does his organization fight under?", "Hashd"),
    ("Who is the spokesman for Operation Inherent Resolve?", "what did he say?", "toughest"),
    ("Who declared the group's rule in Iraq in 2014?", "where did he declare it?", "Old City"),
    ("How many Iraqis were killed in April?", "and how many were injured?", "403"),
]
