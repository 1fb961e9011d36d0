import pytest

from kgdecide.link.assertion import CHINESE, ENGLISH, assertion_status
from kgdecide.types import AssertionStatus as S


def _status(text: str, mention: str, rules=ENGLISH) -> S:  # type: ignore[no-untyped-def]
    start = text.index(mention)
    return assertion_status(text, start, start + len(mention), rules)


@pytest.mark.parametrize(("text", "mention", "expected"), [
    ("No fever.", "fever", S.EXCLUDED),
    ("She denies headache.", "headache", S.EXCLUDED),
    ("Examination without ataxia.", "ataxia", S.EXCLUDED),
    ("Epilepsy was ruled out.", "Epilepsy", S.EXCLUDED),
    ("No fever, vomiting or rash.", "rash", S.EXCLUDED),
    ("Mother has short stature.", "short stature", S.FAMILY),
    ("Short stature in his father.", "Short stature", S.FAMILY),
    ("No family history of seizures.", "seizures", S.FAMILY),
    ("Possible scoliosis.", "scoliosis", S.UNCERTAIN),
    ("Epilepsy cannot be ruled out.", "Epilepsy", S.UNCERTAIN),
    ("Ptosis?", "Ptosis", S.UNCERTAIN),
    ("History of febrile seizures.", "febrile seizures", S.HISTORICAL),
    ("Seizures since 3 months.", "Seizures", S.PRESENT),
    ("Seizures continued in the absence of fever.", "fever", S.EXCLUDED),
    ("Seizures continued in the absence of fever.", "Seizures", S.PRESENT),
    ("She has not had epileptic seizures, although her EEG was abnormal.", "epileptic seizures", S.EXCLUDED),
    ("The boys have not developed scoliosis.", "scoliosis", S.EXCLUDED),
    ("Scoliosis was noted in her older brother.", "Scoliosis", S.FAMILY),
])
def test_english_cues(text: str, mention: str, expected: S) -> None:
    assert _status(text, mention) is expected


def test_scope_ends_at_sentence_and_terminators() -> None:
    assert _status("No fever. Seizures.", "Seizures") is S.PRESENT
    assert _status("No fever but seizures.", "seizures") is S.PRESENT
    assert _status("No ptosis and has strabismus.", "strabismus") is S.PRESENT
    assert _status("Mother has epilepsy but the patient has ataxia.", "ataxia") is S.PRESENT


def test_scope_has_a_window() -> None:
    far = "No complaints were raised at the visit about the long journey or the fever."
    assert _status(far, "fever") is S.PRESENT


def test_pseudo_cues_do_not_negate() -> None:
    assert _status("No increase in seizures.", "seizures") is S.PRESENT
    assert _status("The mother reports that he has seizures.", "seizures") is S.PRESENT


@pytest.mark.parametrize(("text", "mention", "expected"), [
    ("癫痫发作，无发热", "癫痫发作", S.PRESENT),
    ("癫痫发作，无发热", "发热", S.EXCLUDED),
    ("否认头痛", "头痛", S.EXCLUDED),
    ("未见脊柱侧弯", "脊柱侧弯", S.EXCLUDED),
    ("排除癫痫", "癫痫", S.EXCLUDED),
    ("母亲身材矮小", "身材矮小", S.FAMILY),
    ("疑似白内障", "白内障", S.UNCERTAIN),
    ("既往哮喘", "哮喘", S.HISTORICAL),
    ("无发热，有咳嗽", "咳嗽", S.PRESENT),
])
def test_chinese_cues(text: str, mention: str, expected: S) -> None:
    assert _status(text, mention, CHINESE) is expected


@pytest.mark.parametrize(("text", "expected"), [
    # A comma list without a joiner: the negation stops at the comma (the clinician form's style).
    ("seizures from 3 months, no fever, small head", {"fever": "excluded", "small head": "present"}),
    ("no fever, small head, developmental delay",
     {"fever": "excluded", "small head": "present", "developmental delay": "present"}),
    # Lists joined by or/nor/and keep every item negated, as NegEx does.
    ("no fever, rash or cough", {"fever": "excluded", "rash": "excluded", "cough": "excluded"}),
    ("denies fever, chills, and night sweats",
     {"fever": "excluded", "chills": "excluded", "night sweats": "excluded"}),
])
def test_negation_across_comma_lists(text: str, expected: dict[str, str]) -> None:
    for phrase, status in expected.items():
        start = text.index(phrase)
        assert assertion_status(text, start, start + len(phrase), ENGLISH).value == status, phrase
