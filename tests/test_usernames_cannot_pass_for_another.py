"""Sign-up refuses usernames that mix scripts, the way one name is made to look like another,
and Django's NFKC normalisation folds look-alike forms such as full-width letters."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError

from diary.validators import scripts, validate_single_script

from .factories import PASSWORD, UserFactory
from .htmlpage import Page


def sign_up(client, username):
    return client.post(
        "/accounts/signup/", {"username": username, "password1": PASSWORD, "password2": PASSWORD}
    )


@pytest.mark.parametrize(
    ("username", "found"),
    [
        ("alice", {"LATIN"}),
        ("\u0430lice", {"LATIN", "CYRILLIC"}),
        ("Саша", {"CYRILLIC"}),
        ("josé_42", {"LATIN"}),
        ("山田たろう", {"CJK", "HIRAGANA"}),
        ("a.b-c+d@e", {"LATIN"}),
    ],
)
def test_the_scripts_of_a_name_are_those_of_its_letters(username, found):
    assert scripts(username) == found


@pytest.mark.parametrize("username", ["\u0430lice", "p\u0430ul", "\u03c1aul", "\u13aalice"])
def test_a_name_mixing_scripts_is_refused(username):
    with pytest.raises(ValidationError) as error:
        validate_single_script(username)

    assert error.value.code == "mixed_scripts"


@pytest.mark.parametrize("username", ["alice", "Саша", "josé", "山田たろう", "김철수", "taro山田"])
def test_names_in_one_script_or_written_together_are_accepted(username):
    validate_single_script(username)


def test_sign_up_refuses_a_cyrillic_a_in_a_latin_name_and_says_why(client, db):
    UserFactory(username="alice")

    response = sign_up(client, "\u0430lice")

    assert response.status_code == 200
    assert "mixes letters from different alphabets" in Page(response).field_error("username")
    assert list(get_user_model().objects.values_list("username", flat=True)) == ["alice"]


def test_full_width_letters_are_folded_and_found_taken(client, db):
    UserFactory(username="alice")

    response = sign_up(client, "\uff41lice")

    assert "A user with that username already exists." in Page(response).field_error("username")
    assert get_user_model().objects.count() == 1


def test_a_name_in_another_single_script_signs_up(client, db):
    response = sign_up(client, "Саша")

    assert response.status_code == 302
    assert get_user_model().objects.filter(username="Саша").exists()
