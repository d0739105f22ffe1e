"""Terms of the digest: Chinese segmented by jieba, stop words of both languages gone, one count per
message, and "rising" by share of messages rather than raw counts."""

from __future__ import annotations

from handlers.digest import terms
from handlers.digest.model import Term


def test_chinese_is_segmented_and_particles_dropped() -> None:
    # jieba: 我们/都/很/喜欢/这个/新/品牌/的/咖啡; 我们 and 这个 are stop words, the rest single characters.
    assert terms.terms_of("我们都很喜欢这个新品牌的咖啡！") == {"喜欢", "品牌", "咖啡"}


def test_english_is_lower_cased_without_stop_words_or_links() -> None:
    text = "The NEW Coffee flavour is what I don't want https://example.com/x <@123> @bob 2026"
    assert terms.terms_of(text) == {"coffee", "flavour"}


def test_mixed_text_uses_both_tokenisers() -> None:
    assert terms.terms_of("Coffee咖啡味道shipping") == {"coffee", "咖啡", "味道", "shipping"}


def test_a_term_counts_once_per_message() -> None:
    assert terms.count(["coffee coffee coffee", "strong coffee", "tea"]) == {"coffee": 2, "strong": 1, "tea": 1}


def test_top_terms_by_messages_then_alphabetically() -> None:
    top, _ = terms.compare(["coffee tea", "coffee milk", "tea"], ["coffee"])
    assert top == (Term("coffee", 2, 1), Term("tea", 2, 0), Term("milk", 1, 0))


def test_rising_compares_shares_not_counts() -> None:
    # coffee: 2 of 4 messages now against 2 of 2 before, fell although its count held; tea: 3/4 against 0.
    current = ["coffee tea", "coffee tea", "tea", "milk"]
    _, rising = terms.compare(current, ["coffee", "coffee milk"])
    assert rising == (Term("tea", 3, 0),)


def test_top_is_bounded() -> None:
    top, rising = terms.compare([f"word{i:02d}x" for i in range(40)], [])
    assert len(top) == terms.TOP and len(rising) == terms.RISING
    assert top[0] == Term("word00x", 1, 0)
