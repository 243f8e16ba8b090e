"""Typed form input for user accounts."""

from __future__ import annotations

from litestar.datastructures import FormMultiDict

from coop.accounts.domain import DISPLAY_NAME_MAX, PASSWORD_MAX, USERNAME_MAX, Role, UserInput
from coop.forms import id_list, raise_all, whole_number
from coop.validation import Msg, ValidationError, clean_text


def user(data: FormMultiDict, *, creating: bool) -> UserInput:
    errors: dict[str, Msg] = {}
    username = clean_text(errors, "username", data.get("username"), max_length=USERNAME_MAX).lower()
    display_name = clean_text(
        errors, "display_name", data.get("display_name"), max_length=DISPLAY_NAME_MAX
    )
    try:
        role = Role(data.get("role", ""))
    except ValueError:
        errors["role"] = Msg("Choose a role.")
        role = Role.judge
    federation = data.get("federation_id", "")
    result = UserInput(
        username=username,
        display_name=display_name,
        role=role,
        federation_id=whole_number(federation),
        cooperative_ids=id_list(data.getall("cooperative_ids", [])),
        village_ids=id_list(data.getall("village_ids", [])),
        password=data.get("password", "") if creating else None,
    )
    return raise_all(errors, result)


def sign_in(data: FormMultiDict) -> tuple[str, str]:
    """The username and password typed into the sign-in form, each within the lengths an
    account can have (nothing longer is ever looked up, counted or hashed)."""
    username, password = data.get("username", ""), data.get("password", "")
    errors: dict[str, Msg] = {}
    if len(username) > USERNAME_MAX:
        errors["username"] = Msg("At most {max} characters.", max=USERNAME_MAX)
    if len(password) > PASSWORD_MAX:
        errors["password"] = Msg("At most {max} characters.", max=PASSWORD_MAX)
    if errors:
        raise ValidationError(errors)
    return username, password
