"""Questions in another language than English, answered without an LLM.

The offline answerer reads the articles in English and can't read, say, Spanish. But the
articles' names are the same in any question written in Latin letters ("¿Quién controla
Qairawan?"), and the question word says what kind of answer is wanted. So the question is
retrieved for as its opening question word in English and its names ("who Qairawan?"): when a
relevant passage holds one of its names, it is answered, with NAMES_NOTE before the answer;
otherwise the reader gets OFFLINE_REPLY in their language (English where no translation
ships), never the "don't cover" refusal, which would be untrue. A question with no name in
Latin letters ("Кто контролирует Каирван?") always gets OFFLINE_REPLY: without an LLM,
"Каирван" is not "Qairawan".
"""

from __future__ import annotations

import re

from bot.answering.language import Language, names_of

# Said instead of a refusal: the articles are read in English; an LLM adds other languages.
OFFLINE_REPLY: dict[str, str] = {
    "en": (
        "I read the articles in English, and without an LLM I can only answer questions "
        "asked in English. Please ask in English, or ask whoever runs this bot to set "
        "NEWSDESK_LLM: an LLM adds other languages."
    ),
    "es": (
        "Leo los artículos en inglés y, sin un LLM, solo puedo responder preguntas hechas en "
        "inglés. Pregunta en inglés, o pide a quien administra este bot que configure "
        "NEWSDESK_LLM: un LLM añade otros idiomas."
    ),
    "ru": (
        "Я читаю статьи на английском и без LLM могу отвечать только на вопросы на "
        "английском. Задайте вопрос по-английски или попросите администратора бота настроить "
        "NEWSDESK_LLM: LLM добавляет другие языки."
    ),
    "ar": (
        "أقرأ المقالات باللغة الإنجليزية، ومن دون نموذج لغوي (LLM) لا أستطيع الإجابة إلا عن "
        "الأسئلة المطروحة بالإنجليزية. اطرح سؤالك بالإنجليزية، أو اطلب من مشغّل هذا البوت ضبط "
        "NEWSDESK_LLM، فالنموذج اللغوي يضيف لغات أخرى."
    ),
    "fr": (
        "Je lis les articles en anglais et, sans LLM, je ne peux répondre qu'aux questions "
        "posées en anglais. Posez votre question en anglais, ou demandez à la personne qui "
        "gère ce bot de configurer NEWSDESK_LLM : un LLM ajoute d'autres langues."
    ),
    "de": (
        "Ich lese die Artikel auf Englisch und kann ohne LLM nur Fragen auf Englisch "
        "beantworten. Fragen Sie auf Englisch, oder bitten Sie den Betreiber dieses Bots, "
        "NEWSDESK_LLM einzurichten: ein LLM fügt weitere Sprachen hinzu."
    ),
}

# Said before an answer found through the question's names.
NAMES_NOTE: dict[str, str] = {
    "en": (
        "I read the articles in English; this answer was found through the names in your "
        "question. An LLM (NEWSDESK_LLM) adds other languages."
    ),
    "es": (
        "Leo los artículos en inglés; encontré esta respuesta por los nombres de tu pregunta. "
        "Un LLM (NEWSDESK_LLM) añade otros idiomas."
    ),
    "ru": (
        "Я читаю статьи на английском; этот ответ найден по именам из вашего вопроса. "
        "LLM (NEWSDESK_LLM) добавляет другие языки."
    ),
    "ar": (
        "أقرأ المقالات بالإنجليزية؛ وجدت هذه الإجابة من خلال الأسماء الواردة في سؤالك. "
        "النموذج اللغوي (NEWSDESK_LLM) يضيف لغات أخرى."
    ),
    "fr": (
        "Je lis les articles en anglais ; j'ai trouvé cette réponse grâce aux noms de votre "
        "question. Un LLM (NEWSDESK_LLM) ajoute d'autres langues."
    ),
    "de": (
        "Ich lese die Artikel auf Englisch; diese Antwort habe ich über die Namen in Ihrer "
        "Frage gefunden. Ein LLM (NEWSDESK_LLM) fügt weitere Sprachen hinzu."
    ),
}

# Each language's question words, opening a question, in English: what kind of answer the
# reader wants (a person, a number, a place), which the offline reader goes by.
QUESTION_WORDS: dict[str, dict[str, str]] = {
    "es": {
        "quién": "who", "quien": "who", "quiénes": "who", "qué": "what", "que": "what",
        "cuándo": "when", "cuando": "when", "dónde": "where", "donde": "where",
        "cuántos": "how many", "cuántas": "how many", "cuánto": "how much",
        "cuál": "which", "cuáles": "which", "por qué": "why", "cómo": "how",
    },
    "fr": {
        "qui": "who", "que": "what", "quoi": "what", "qu'est-ce": "what", "quand": "when",
        "où": "where", "combien": "how many", "quel": "which", "quelle": "which",
        "quels": "which", "quelles": "which", "pourquoi": "why", "comment": "how",
    },
    "de": {
        "wer": "who", "was": "what", "wann": "when", "wo": "where", "wie viele": "how many",
        "wieviele": "how many", "welche": "which", "welcher": "which", "welches": "which",
        "warum": "why", "wie": "how",
    },
    "ru": {
        "кто": "who", "что": "what", "когда": "when", "где": "where", "сколько": "how many",
        "какой": "which", "какая": "which", "какие": "which", "почему": "why", "как": "how",
    },
    "ar": {
        "من": "who", "ما": "what", "ماذا": "what", "متى": "when", "أين": "where",
        "كم": "how many", "أي": "which", "لماذا": "why", "كيف": "how",
    },
}  # fmt: skip
# "And" opening a follow-up.
AND: dict[str, frozenset[str]] = {
    "es": frozenset({"y", "e"}),
    "fr": frozenset({"et"}),
    "de": frozenset({"und"}),
    "ru": frozenset({"и", "а"}),
    "ar": frozenset({"و"}),
}
_OPENING_PUNCTUATION = "¿¡«\"'“„ "
_QUESTION_MARKS = re.compile(r"[؟？]")


def offline_reply(language: Language) -> str:
    return OFFLINE_REPLY.get(language.code, OFFLINE_REPLY["en"])


def names_note(language: Language) -> str:
    return NAMES_NOTE.get(language.code, NAMES_NOTE["en"])


def as_retrieved_offline(question: str, language: Language) -> str:
    """The question's opening question word in English, then its names: "¿Quién controla
    Qairawan?" is retrieved for as "who Qairawan?". Without a name, the question as asked
    with its question word in English (which the relevance floor will most likely refuse)."""
    text = _QUESTION_MARKS.sub("?", question).lstrip(_OPENING_PUNCTUATION)
    words = QUESTION_WORDS.get(language.code, {})
    parts = [part.lstrip(_OPENING_PUNCTUATION) for part in text.split()]
    joined = ""  # "and": a follow-up ("¿Y quién los dirige?") reads as one in English
    if parts and parts[0].lower() in AND.get(language.code, ()):
        joined, parts = "and", parts[1:]
    elif parts and parts[0].startswith("و") and parts[0][1:] in words:  # Arabic joins "و"
        joined, parts = "and", [parts[0][1:], *parts[1:]]
    asking, rest = "", parts
    for size in (2, 1):
        opening = " ".join(parts[:size]).lower().strip(_OPENING_PUNCTUATION + "?,")
        if len(parts) >= size and opening in words:
            asking, rest = words[opening], parts[size:]
            break
    names = names_of(" ".join(rest), opens=not asking)
    kept = names or [word for word in rest if word.strip("?")]
    retrieved = " ".join(filter(None, [joined, asking, *kept])).rstrip("?")
    return f"{retrieved}?" if retrieved else text


def names_found(question: str, passage: str) -> bool:
    """Whether a name of the question stands in the passage (case aside): what lets a
    question in another language be answered offline at all."""
    lowered = passage.lower()
    return any(
        re.search(rf"(?<!\w){re.escape(name.lower())}(?!\w)", lowered)
        for name in names_of(question)
    )
