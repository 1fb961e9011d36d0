from hypothesis import given
from hypothesis import strategies as st

from kgdecide.link.text import blank_markup, has_han, normalise_token, phrase_key, tokenize


def test_tokens_index_the_original_text() -> None:
    text = "Hypotonia, SEIZURES & café-au-lait spots."
    for token in tokenize(text):
        assert normalise_token(text[token.start:token.end]) == token.key
    assert [t.key for t in tokenize(text)][:2] == ["hypotonia", "seizure"]


def test_plurals_and_case_fold_to_one_key() -> None:
    assert phrase_key("Café-au-lait Spots") == phrase_key("cafe au lait spot")
    assert phrase_key("Meningiomas") == phrase_key("meningioma")
    assert phrase_key("abnormalities") == phrase_key("abnormality")
    # -is/-us/-ss endings are not plurals
    assert normalise_token("fibrosis") == "fibrosis"
    assert normalise_token("hirsutism") == "hirsutism"


@given(st.text(max_size=200))
def test_blank_markup_keeps_length(text: str) -> None:
    assert len(blank_markup(text)) == len(text)


def test_blank_markup_removes_tags_and_entities() -> None:
    html = "<p>No <b>fever</b>&nbsp;today</p>"
    clean = blank_markup(html)
    assert "<" not in clean and "&" not in clean
    assert clean.index("fever") == html.index("fever")


def test_han_detection() -> None:
    assert has_han("无发热") and not has_han("no fever 😀")
