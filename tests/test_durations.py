import pytest
from hypothesis import given
from hypothesis import strategies as st

from diary.durations import MAX_SECONDS, DurationError, format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("90 s", 90),
        ("1:30", 90),
        ("2 min", 120),
        ("2 minutes", 120),
        ("1h 5m", 3900),
        ("1h5m", 3900),
        ("1 hour 5 minutes", 3900),
        ("3 days", 3 * 86400),
        ("1 day", 86400),
        ("1 min 30 s", 90),
        ("1 min and 30 s", 90),
        ("2 minutes, 10 seconds", 130),
        ("1:02:03", 3723),
        ("0:05", 5),
        ("45", 45),
        ("  45  ", 45),
        ("1.5 min", 90),
        ("0,5 h", 1800),
        ("2 MIN", 120),
        ("14 days", MAX_SECONDS),
        ("1 s", 1),
    ],
)
def test_durations_are_read_the_way_people_type_them(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "Enter a duration such as"),
        ("", "Enter how long the cramp lasted"),
        ("   ", "Enter how long the cramp lasted"),
        ("0 s", "at least 1 second"),
        ("0", "at least 1 second"),
        ("0.4", "at least 1 second"),
        ("15 days", "at most 14 days"),
        ("14 days 1 s", "at most 14 days"),
        ("99999999999999999999 days", "at most 14 days"),
        ("5 parsecs", "“parsecs” is not a unit we know"),
        ("-5 s", "Enter a duration such as"),
        ("1:60", "minutes:seconds"),
        ("min", "Enter a duration such as"),
        ("2 min later", "Enter a duration such as"),
    ],
)
def test_durations_that_make_no_sense_are_rejected_with_a_message(text, message):
    with pytest.raises(DurationError, match=message):
        parse_duration(text)


def test_an_absurdly_long_number_is_rejected_rather_than_crashing():
    with pytest.raises(DurationError, match="at most 40 characters"):
        parse_duration("1" + "0" * 400)


def test_two_bare_numbers_are_rejected_because_their_meaning_is_a_guess():
    # "1 30" could mean 1:30 or 1 h 30 min; adding them up as 31 seconds is surely wrong.
    with pytest.raises(DurationError, match="Give each number a unit"):
        parse_duration("1 30")


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 s"),
        (59, "59 s"),
        (60, "1 min"),
        (90, "1 min 30 s"),
        (3600, "1 h"),
        (3661, "1 h 1 min 1 s"),
        (86400, "1 day"),
        (2 * 86400 + 3600, "2 days 1 h"),
        (MAX_SECONDS, "14 days"),
    ],
)
def test_durations_are_written_back_in_words_largest_unit_first(seconds, words):
    assert format_duration(seconds) == words


def test_a_missing_duration_is_written_as_nothing():
    assert format_duration(None) == ""


@given(st.integers(min_value=1, max_value=MAX_SECONDS))
def test_every_duration_written_in_words_reads_back_as_the_same_seconds(seconds):
    assert parse_duration(format_duration(seconds)) == seconds
