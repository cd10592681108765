import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.utils import timezone

from diary.models import Profile

from .factories import PASSWORD
from .htmlpage import Page

NEW_PASSWORD = "a different long passphrase 42"
SIGNUP = {"username": "newcomer", "password1": PASSWORD, "password2": PASSWORD}


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


# Sign up


def test_signing_up_creates_the_account_with_a_profile_and_signs_in(client, db):
    response = client.post("/accounts/signup/", {**SIGNUP, "email": "new@example.com"})

    user = get_user_model().objects.get(username="newcomer")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert user.email == "new@example.com"
    assert user.check_password(PASSWORD)
    profile = Profile.objects.get(user=user)
    assert (profile.time_zone, profile.fluid_unit, profile.birth_year) == ("UTC", "ml", None)
    assert profile.theme == "auto"
    assert signed_in_user_id(client) == str(user.pk)
    assert "Cramps are logged in UTC time" in client.get("/accounts/profile/").content.decode()


def test_signing_up_keeps_the_time_zone_the_browser_gave(client, db):
    response = client.post("/accounts/signup/", {**SIGNUP, "time_zone": "America/Los_Angeles"})

    assert response.status_code == 302
    assert Profile.objects.get(user__username="newcomer").time_zone == "America/Los_Angeles"
    page = client.get("/accounts/profile/").content.decode()
    assert "Cramps are logged in America/Los Angeles time" in page


def test_the_sign_up_form_shows_an_editable_time_zone_for_the_script_to_fill(client, db):
    page = Page(client.get("/accounts/signup/"))

    select = page.by_id("id_time_zone")
    assert select["tag"] == "select"
    assert select["attrs"]["data-fill"] == "time-zone"
    assert "disabled" not in select["attrs"]
    labels = page.all_with("label", **{"for": "id_time_zone"})
    assert ["".join(label["text"]).strip() for label in labels] == ["Your time zone"]


def test_signing_up_without_an_email_works(client, db):
    response = client.post("/accounts/signup/", SIGNUP)

    assert response.status_code == 302
    assert get_user_model().objects.get(username="newcomer").email == ""


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"password2": "something else entirely"},
            "password2",
            "The two password fields didn’t match.",
        ),
        ({"password1": "123", "password2": "123"}, "password2", "This password is too short."),
        ({"username": ""}, "username", "This field is required."),
        ({"username": "owner"}, "username", "A user with that username already exists."),
        ({"username": "no spaces allowed"}, "username", "Enter a valid username."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone", "Select a valid choice."),
        ({"time_zone": "../../etc/passwd"}, "time_zone", "Select a valid choice."),
    ],
)
def test_a_bad_sign_up_says_what_is_wrong_and_creates_nobody(
    client, owner, changes, field, message
):
    response = client.post("/accounts/signup/", {**SIGNUP, **changes})

    assert response.status_code == 200
    assert message in Page(response).field_error(field)
    assert list(get_user_model().objects.values_list("username", flat=True)) == ["owner"]
    assert signed_in_user_id(client) is None


def test_a_signed_in_person_visiting_sign_up_goes_home(owner_client):
    response = owner_client.get("/accounts/signup/")

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_the_sign_up_page_is_public(client, db):
    response = client.get("/accounts/signup/")

    page = Page(response)
    assert response.status_code == 200
    for name in ["username", "email", "password1", "password2"]:
        assert page.by_id(f"id_{name}")["attrs"]["name"] == name


# Log in and out


def test_logging_in_with_username_and_password_signs_in(client, owner):
    response = client.post("/accounts/login/", {"username": "owner", "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(client) == str(owner.pk)


def test_logging_in_returns_to_the_page_asked_for(client, owner):
    response = client.post(
        "/accounts/login/", {"username": "owner", "password": PASSWORD, "next": "/diary/"}
    )

    assert response["Location"] == "/diary/"


def test_logging_in_never_redirects_to_another_site(client, owner):
    response = client.post(
        "/accounts/login/",
        {"username": "owner", "password": PASSWORD, "next": "https://evil.example/"},
    )

    assert response["Location"] == "/"


def test_a_wrong_password_does_not_sign_in(client, owner):
    response = client.post("/accounts/login/", {"username": "owner", "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct username and password." in response.content.decode()
    assert signed_in_user_id(client) is None


def test_logging_out_only_answers_post(owner_client, owner):
    assert owner_client.get("/accounts/logout/").status_code == 405
    assert signed_in_user_id(owner_client) == str(owner.pk)

    response = owner_client.post("/accounts/logout/")

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert signed_in_user_id(owner_client) is None


# Passwords


def test_a_signed_in_person_can_change_their_password(owner_client, owner):
    assert owner_client.get("/accounts/password_change/").status_code == 200

    response = owner_client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    owner.refresh_from_db()
    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_change/done/"
    assert owner.check_password(NEW_PASSWORD)
    assert owner_client.get("/accounts/password_change/done/").status_code == 200


def test_a_wrong_old_password_changes_nothing(owner_client, owner):
    response = owner_client.post(
        "/accounts/password_change/",
        {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    owner.refresh_from_db()
    assert response.status_code == 200
    assert "Your old password was entered incorrectly." in Page(response).field_error(
        "old_password"
    )
    assert owner.check_password(PASSWORD)


def test_a_forgotten_password_can_be_reset_through_the_emailed_link(client, owner):
    response = client.post("/accounts/password_reset/", {"email": "owner@example.com"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["owner@example.com"]
    link = re.search(r"https?://[^/\s]+(/accounts/reset/\S+/)", message.body).group(1)

    form_page = client.get(link, follow=True)
    set_password_url = form_page.redirect_chain[-1][0]
    assert "new_password1" in form_page.content.decode()
    done = client.post(
        set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    )

    owner.refresh_from_db()
    assert done["Location"] == "/accounts/reset/done/"
    assert owner.check_password(NEW_PASSWORD)
    assert client.get("/accounts/reset/done/").status_code == 200
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_a_reset_for_an_unknown_email_sends_nothing_and_reveals_nothing(client, owner):
    response = client.post("/accounts/password_reset/", {"email": "nobody@example.com"})

    assert response.status_code == 302
    assert response["Location"] == "/accounts/password_reset/done/"
    assert mail.outbox == []


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/password_reset/",
        "/accounts/password_reset/done/",
        "/accounts/reset/done/",
        "/accounts/signup/",
    ],
)
def test_the_account_pages_a_visitor_needs_are_public(client, db, path):
    assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "path", ["/accounts/profile/", "/accounts/password_change/", "/accounts/password_change/done/"]
)
def test_account_pages_for_signed_in_people_send_visitors_to_log_in(client, db, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={path}"


# Profile

PROFILE = {
    "time_zone": "America/New_York",
    "fluid_unit": "floz",
    "birth_year": "1961",
    "conditions": ["diabetes", "neuropathy"],
    "medications": ["statin", "diuretic"],
    "pregnant": "on",
    "theme": "dark",
}


def test_the_profile_form_has_the_documented_field_names(owner_client):
    page = Page(owner_client.get("/accounts/profile/"))

    assert page.by_id("id_time_zone")["attrs"]["name"] == "time_zone"
    assert page.by_id("id_birth_year")["attrs"]["name"] == "birth_year"
    assert page.by_id("id_pregnant")["attrs"]["name"] == "pregnant"
    assert page.by_id("id_fluid_unit")["attrs"]["name"] == "fluid_unit"
    assert {e["attrs"]["value"] for e in page.all_with("input", name="theme")} == {
        "auto",
        "light",
        "dark",
    }
    options = {e["attrs"].get("value") for e in page.all_with("option")}
    assert {"ml", "glass", "floz", "Europe/Berlin", "Pacific/Auckland"} <= options
    assert {e["attrs"]["value"] for e in page.all_with("input", name="conditions")} == {
        "diabetes",
        "thyroid",
        "kidney",
        "neuropathy",
        "pad",
        "parkinsons",
        "motor_neuron",
    }
    assert {e["attrs"]["value"] for e in page.all_with("input", name="medications")} == {
        "diuretic",
        "statin",
        "antipsychotic",
        "other",
    }


def test_the_profile_is_saved_with_every_field(owner_client, owner):
    response = owner_client.post("/accounts/profile/", PROFILE)

    profile = Profile.objects.get(user=owner)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/profile/"
    assert profile.time_zone == "America/New_York"
    assert profile.fluid_unit == "floz"
    assert profile.birth_year == 1961
    assert profile.conditions == ["diabetes", "neuropathy"]
    assert profile.medications == ["diuretic", "statin"]
    assert profile.pregnant is True
    assert profile.theme == "dark"
    assert "Your profile is saved." in owner_client.get("/accounts/profile/").content.decode()


def test_the_profile_can_be_cleared_back_to_nothing(owner_client, owner):
    owner_client.post("/accounts/profile/", PROFILE)

    owner_client.post(
        "/accounts/profile/", {"time_zone": "UTC", "fluid_unit": "ml", "theme": "auto"}
    )

    profile = Profile.objects.get(user=owner)
    assert profile.birth_year is None
    assert profile.conditions == profile.medications == []
    assert profile.pregnant is False


def test_the_profile_page_shows_the_saved_values(owner_client):
    owner_client.post("/accounts/profile/", PROFILE)

    page = Page(owner_client.get("/accounts/profile/"))

    assert page.by_id("id_birth_year")["attrs"]["value"] == "1961"
    checked = {
        e["attrs"]["value"]
        for e in page.all_with("input", name="conditions")
        if "checked" in e["attrs"]
    }
    assert checked == {"diabetes", "neuropathy"}
    assert "checked" in page.by_id("id_pregnant")["attrs"]


NEXT_YEAR = str(timezone.now().year + 1)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        (
            "time_zone",
            "Mars/Olympus",
            "Select a valid choice. Mars/Olympus is not one of the available choices.",
        ),
        ("time_zone", "", "This field is required."),
        ("fluid_unit", "pint", "Select a valid choice. pint is not one of the available choices."),
        ("birth_year", "1800", "Ensure this value is greater than or equal to 1900."),
        ("birth_year", NEXT_YEAR, "The year of birth cannot be in the future."),
        ("birth_year", "99999999999999999999", "The year of birth cannot be in the future."),
        ("birth_year", "nineteen", "Enter a whole number."),
        (
            "conditions",
            ["cancer"],
            "Select a valid choice. cancer is not one of the available choices.",
        ),
        (
            "medications",
            ["aspirin"],
            "Select a valid choice. aspirin is not one of the available choices.",
        ),
    ],
)
def test_bad_profile_values_are_shown_next_to_the_field_and_nothing_is_saved(
    owner_client, owner, field, value, message
):
    response = owner_client.post("/accounts/profile/", {**PROFILE, field: value})

    assert response.status_code == 200
    assert message in Page(response).field_error(field)
    profile = Profile.objects.get(user=owner)
    assert (profile.time_zone, profile.birth_year, profile.conditions) == (
        "Europe/Berlin",
        None,
        [],
    )


def test_an_account_made_without_sign_up_gets_a_profile_on_first_visit(client, db):
    user = get_user_model().objects.create_user("admin-made", password=PASSWORD)
    client.force_login(user, backend="diary.backends.ProfileModelBackend")

    response = client.get("/accounts/profile/")

    assert response.status_code == 200
    assert Profile.objects.get(user=user).time_zone == "UTC"


def test_each_person_sees_and_changes_only_their_own_profile(stranger_client, owner, stranger):
    Profile.objects.filter(user=owner).update(birth_year=1950)

    page = Page(stranger_client.get("/accounts/profile/"))
    stranger_client.post("/accounts/profile/", PROFILE)

    assert page.by_id("id_birth_year")["attrs"].get("value") is None
    assert Profile.objects.get(user=owner).birth_year == 1950
    assert Profile.objects.get(user=stranger).birth_year == 1961


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"birth_year": "1" * 500}, 200),
        ({"birth_year": "-5"}, 200),
        ({"birth_year": "1e3"}, 200),
        ({"time_zone": "x" * 10_000}, 200),
        ({"time_zone": "../../etc/passwd"}, 200),
        ({"time_zone": "nul\x00"}, 200),
        ({"conditions": ["diabetes"] * 900}, 200),
        # A checkbox is ticked by any value it is sent.
        ({"pregnant": "maybe"}, 302),
    ],
)
def test_no_profile_input_fails_with_a_server_error(owner_client, owner, data, status):
    before = Profile.objects.filter(user=owner).values().get()

    response = owner_client.post("/accounts/profile/", {**PROFILE, **data})

    assert response.status_code == status
    after = Profile.objects.filter(user=owner).values().get()
    assert (after == before) is (status == 200)


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"username": "x" * 10_000}, 200),
        ({"username": "nul\x00"}, 200),
        ({"email": "a@" + "b" * 10_000 + ".com"}, 200),
        ({"password1": "p" * 10_000, "password2": "p" * 10_000}, 302),
    ],
)
def test_no_sign_up_input_fails_with_a_server_error(client, db, data, status):
    response = client.post("/accounts/signup/", {**SIGNUP, **data})

    assert response.status_code == status
    assert get_user_model().objects.exists() is (status == 302)
