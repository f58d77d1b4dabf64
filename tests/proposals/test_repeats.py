"""proposals.repeats: how alike two proposals are (pure functions, no database)."""

from proposals.repeats import (
    TITLE_THRESHOLD,
    content_tokens,
    fingerprint,
    is_earlier,
    is_repeat,
    session_key,
)


def test_genre_words_do_not_make_titles_alike():
    """关于…的建议, 加强, 进一步 are in every title: they are no part of the subject."""
    assert content_tokens("关于进一步加强工作的建议") == frozenset()
    assert content_tokens("关于加快老旧小区加装电梯的提案") == content_tokens("老旧小区加装电梯")


def test_a_paraphrased_title_is_a_repeat():
    earlier = fingerprint("关于推进老旧小区加装电梯的建议")
    later = fingerprint("关于持续解决既有老旧小区加装电梯难题的提案")
    repeat, score = is_repeat(later, earlier)
    assert repeat and score >= TITLE_THRESHOLD


def test_a_title_of_the_same_field_is_not():
    """One word in common (老旧小区) is a field, not the same problem."""
    repeat, _score = is_repeat(
        fingerprint("关于老旧小区停车难的建议"), fingerprint("关于推进老旧小区加装电梯的建议")
    )
    assert not repeat


def test_texts_confirm_a_borderline_title_and_rule_out_a_chance_one():
    earlier = fingerprint(
        "关于农村饮用水安全保障的建议", ["关于“加强水源地保护”", "关于“改造供水管网”"]
    )
    alike = fingerprint(
        "关于乡村供水安全的提案", ["关于“水源地保护”", "关于“供水管网改造和水质检测”"]
    )
    other = fingerprint("关于乡村供水安全的提案", ["关于“降低水费”", "关于“收费公示”"])
    assert is_repeat(alike, earlier)[0]
    assert is_repeat(alike, earlier)[1] > is_repeat(other, earlier)[1]


def test_sessions_in_order():
    first = session_key(year=2023, term=15, meeting=2)
    second = session_key(year=2024, term=15, meeting=3)
    unnamed_earlier = session_key(year=2022, term=0, meeting=0)
    unnamed_same_year = session_key(year=2024, term=0, meeting=0)
    assert is_earlier(first, second)
    assert not is_earlier(second, first)
    assert not is_earlier(first, first)
    assert is_earlier(unnamed_earlier, first)
    # Neither is before the other: one proposal of the year may be from either.
    assert not is_earlier(unnamed_same_year, second)
    assert not is_earlier(second, unnamed_same_year)
