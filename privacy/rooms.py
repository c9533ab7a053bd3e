"""The rooms that hold personal data, each through its `personal_data` module (the four parts
are described in accounts/personal_data.py), in the room order.

The export asks each for its part, closure asks each for its reasons to refuse and then has
each erase its part (higher rooms first), and the retention rules of all are listed in
privacy/retention.py. A new room with personal data adds its module here, one line.
"""

from accounts import personal_data as accounts_data
from accounts.models import User
from allocation import personal_data as allocation_data
from applications import personal_data as applications_data
from lottery import personal_data as lottery_data
from messaging import personal_data as texts_data

ROOMS = (accounts_data, applications_data, lottery_data, allocation_data)


def texts_of(user: User):
    """The texts sent to the person: to the phone since the account has it, and about their
    records (the references the rooms name) to whatever phone they went."""
    return texts_data.texts_for(
        phone=user.phone.as_e164 if user.phone else "",
        since=user.phone_since or user.date_joined,
        references=applications_data.text_references(user),
    )
