"""Defection intent: does a message say the customer is leaving ("this will be my last order")? No Django.

Two detectors, rules first:

1. Rules: regular expressions for the ways people say they are leaving (a last order, closing or
   deleting an account, switching to another store, taking their business elsewhere, never again, done
   with you, you lost a customer). Each match is checked against a guard that looks at the few words
   before it in the same sentence, so "I don't want to close my account" or "why did you close my
   account?" are not flagged, and phrases that only look alike ("my last order hasn't arrived", "switch
   to another size", "cancel my newsletter subscription") are not matched at all.
2. The intent model (optional): a sentence whose most likely intent is one of ``DEFECTION_INTENTS``
   (BANKING77's ``terminate_account`` for the shipped model) with probability >= ``threshold`` is
   flagged, unless the same negation guard sees a "not" or "don't" at its start.

The result says whether the text is flagged, the phrase that triggered it (the matched words, or the
sentence the model flagged), which detector fired, and how sure it is (1.0 for a rule, the model's
probability otherwise).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from rapport.listening.numerics.intent import intent_probabilities
from rapport.listening.numerics.linear import LinearTextModel

DEFECTION_INTENTS = ("terminate_account",)
DEFAULT_THRESHOLD = 0.7  # measured: on BANKING77 0.5 flags 3 other intents, 0.7 one; recall 0.90 -> 0.875
RULE, INTENT = "rule", "intent"

_YOU = (
    r"(?:you|you\s+guys|y'?all|your\s+(?:company|store|shop|service|brand|business|bank|site)|"
    r"this\s+(?:company|store|shop|place|brand|bank|site))"
)
_OTHER_PLACE = (
    r"(?:(?:another|a\s+different|a\s+new|a\s+competitor|your\s+competitors?|one\s+of\s+your\s+competitors|"
    r"other|a\s+better|a\s+cheaper)\s+(?:\w+\s+)?(?:store|shop|company|provider|retailer|brand|seller|"
    r"supplier|bank|service|site|website|competitor|business)s?|a\s+competitor|your\s+competitors?)"
)
_BUY = r"(?:order|buy|shop|purchas|spend)\w*"

_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "last order",
        r"\b(?:this|that|it|today)(?:'s|\s+is|\s+will\s+be|'ll\s+be|\s+is\s+going\s+to\s+be|\s+was)\s+"
        r"(?:my|our|the)\s+(?:very\s+)?(?:last|final)\s+(?:order|purchase|time\s+i\s*(?:'m|\s+am|\s+will|'ll)?"
        r"\s*(?:order|buy|shop|purchas)\w*)",
    ),
    ("last order", r"\b(?:placing|consider\s+this)\s+(?:my|our)\s+(?:very\s+)?(?:last|final)\s+order"),
    ("last order", r"\blast\s+order\s+ever\b"),
    (
        "account",
        r"\b(?:close|closing|cancel|cancell?ing|delete|deleting|terminate|terminating|deactivate|shut\s+down|"
        r"remove|unregister)\s+(?:my|our|the)\s+(?:whole\s+|entire\s+)?(?:account|membership|subscription|profile)"
        r"(?!\s*'s)(?!\s+(?:settings|page|details|email|number|address|box))\b",
    ),
    ("account", r"\b(?:my|our)\s+(?:account|membership)\s+(?:closed|deleted|cancell?ed|terminated)\b"),
    (
        "account",
        r"\b(?:delete|erase|remove)\s+(?:all\s+)?(?:of\s+)?(?:my|our)\s+(?:personal\s+)?"
        r"(?:data|details|information)\b",
    ),
    (
        "account",
        r"\b(?:terminate|cancel|quit|quitting)\s+(?:my|our)\s+(?:\w+\s+)?(?:membership|programme|program)\b",
    ),
    (
        "switching",
        r"\b(?:switch|switching|move|moving|go|going|went|change|changing)\s+(?:my\s+business\s+|over\s+)?to\s+"
        + _OTHER_PLACE,
    ),
    ("switching", r"\b(?:moving|taking|take|took)\s+(?:my|our)\s+business\s+to\b"),
    ("switching", r"\b(?:so\s+)?i'?m\s+switching\s*[.!]"),
    (
        "switching",
        r"\b(?:started|start|starting)\s+(?:shopping|buying|ordering)\s+(?:at|from|with)\s+" + _OTHER_PLACE,
    ),
    ("switching", r"\bfind\s+" + _OTHER_PLACE),
    (
        "elsewhere",
        r"\b(?:take|taking|took)\s+(?:my|our)\s+(?:business|money|custom|orders?)\s+"
        r"(?:elsewhere|somewhere\s+else)",
    ),
    (
        "elsewhere",
        r"\b(?:shop|shopping|buy|buying|order|ordering|go|going|spend|spending)\s+(?:my\s+money\s+)?"
        r"(?:elsewhere|somewhere\s+else)\b(?!\s+(?:on|in)\s+(?:your|the|this)\b)",
    ),
    (
        "elsewhere",
        _BUY + r"\s+(?:from|at|with)\s+(?:amazon|someone\s+else|somebody\s+else|a\s+competitor|"
        r"your\s+competitors?)",
    ),
    (
        "never again",
        r"\b(?:never|won'?t|will\s+not|not\s+going\s+to|ain'?t)\s+(?:ever\s+)?(?:be\s+)?"
        r"(?:" + _BUY + r"|shopping|coming\s+back)\b(?:\s+\w+){0,4}?\s+(?:again|ever\s+again)\b",
    ),
    ("never again", r"\bnever\s+" + _BUY + r"\s+(?:\w+\s+){0,3}(?:here|from\s+you|with\s+you)\s+again\b"),
    ("never again", r"(?:^|[.!?]\s*)never\s+again\s*[.!]*\s*$"),
    ("never again", r"\bnever\s+see\s+another\s+order\s+from\s+me\b"),
    ("never again", r"\bno\s+more\s+orders\s+from\s+me\b"),
    ("never again", r"\bwon'?t\s+be\s+back\b"),
    (
        "done with you",
        r"\b(?:i'?m|i\s+am|we'?re|we\s+are)\s+(?:\w+\s+)?(?:done|finished|through)\s+with\s+" + _YOU + r"\b",
    ),
    (
        "lost a customer",
        r"\b(?:you(?:'ve|\s+have)?|you\s+just)\s+(?:just\s+)?lost\s+(?:a|an|one|me|my)\b(?:\s+\w+){0,3}?\s*"
        r"(?:customer|business|client)?",
    ),
    (
        "leaving",
        r"\b(?:leave|leaving|quit|quitting|stop\s+(?:using|shopping\s+(?:with|at)|ordering\s+from|buying\s+from))"
        r"\s+" + _YOU + r"\b(?!\s+(?:a|an|some|my|feedback|review|note|message|comment)\b)",
    ),
    ("leaving", r"\b(?:i'?m|i\s+am|we'?re|we\s+are)\s+(?:leaving|out)\s*(?:[.!]|$)"),
    ("leaving", r"\bi\s+want\s+out\b"),
    ("leaving", r"\bno\s+longer\s+(?:want\s+to\s+)?(?:be\s+)?(?:a\s+|your\s+)?(?:customer|client|member)\b"),
)
_RULES = tuple((name, re.compile(pattern, re.IGNORECASE)) for name, pattern in _PATTERNS)

# Words just before a match that turn it around: a negation, a question about what the company did,
# or a plan given up ("I was going to close my account, but ...").
_GUARD = re.compile(
    r"\b(?:not|never|no|don'?t|do\s+not|doesn'?t|didn'?t|won'?t|wouldn'?t|isn'?t|aren'?t|without|why|"
    r"did\s+you|have\s+you|has\s+been|was|were|accidentally|someone|somebody|tried\s+to|if)\b"
    r"\W*(?:\w+\W+){0,3}$",
    re.IGNORECASE,
)
# Some rules hold their own negation ("never ... again", "won't be back"): the guard is not theirs.
_UNGUARDED = {"never again", "lost a customer"}
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")
_HARD_NEGATIVE = re.compile(r"\b(?:newsletter|emails?|notifications?|sms|texts?|paperless)\b", re.IGNORECASE)


@dataclass(frozen=True)
class DefectionSignal:
    flagged: bool
    phrase: str | None = None  # the words that triggered the flag
    source: str | None = None  # RULE or INTENT
    rule: str | None = None  # which family of rule matched
    confidence: float = 0.0


NOT_FLAGGED = DefectionSignal(flagged=False)


def sentences(text: str) -> list[str]:
    return [part.strip() for part in _SENTENCE_END.split(text) if part.strip()]


def _guarded(sentence: str, start: int) -> bool:
    return bool(_GUARD.search(sentence[:start]))


def match_rules(text: str) -> DefectionSignal:
    """The first defection phrase the rules find in the text, sentence by sentence."""
    for sentence in sentences(text):
        for name, pattern in _RULES:
            for match in pattern.finditer(sentence):
                if name not in _UNGUARDED and _guarded(sentence, match.start()):
                    continue
                if _HARD_NEGATIVE.search(match.group(0)):
                    continue
                return DefectionSignal(
                    flagged=True, phrase=match.group(0).strip(" .!?"), source=RULE, rule=name, confidence=1.0
                )
    return NOT_FLAGGED


def detect_defection(
    texts: Sequence[str],
    *,
    intent_model: LinearTextModel | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    intents: Sequence[str] = DEFECTION_INTENTS,
) -> list[DefectionSignal]:
    """One signal per text: the rules first, then (with a model) its defection intents per sentence."""
    found = [match_rules(text) for text in texts]
    if intent_model is None:
        return found
    columns = [i for i, tag in enumerate(intent_model.classes) if tag in set(intents)]
    if not columns:
        return found
    pending = [
        (i, sentence) for i, text in enumerate(texts) if not found[i].flagged for sentence in sentences(text)
    ]
    if not pending:
        return found
    probabilities = intent_probabilities(intent_model, [sentence for _, sentence in pending])
    top = probabilities.argmax(axis=1)
    for (i, sentence), row, best in zip(pending, probabilities, top, strict=True):
        if best not in columns or row[best] < threshold or _GUARD.search(_lead(sentence)):
            continue
        if not found[i].flagged or row[best] > found[i].confidence:
            found[i] = DefectionSignal(
                flagged=True,
                phrase=sentence,
                source=INTENT,
                rule=None,
                confidence=float(np.round(row[best], 4)),
            )
    return found


def _lead(sentence: str) -> str:
    # The guard reads the words before a match; for a whole sentence, its first few words play that part.
    words = sentence.split()
    return " ".join(words[:4]) + " "
