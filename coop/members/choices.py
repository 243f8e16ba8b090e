"""The fixed lists on the enrollment form, with names in the user's language, and the
checks of the coded fields that forms, API and imports share."""

import unicodedata

from coop.codes.acftu_member_codes import EMPLOYMENT_STATUS, SKILL_LEVEL
from coop.codes.gb_t_2260 import region_code
from coop.codes.gb_t_4658_2006 import EDUCATION as EDUCATION_CODES
from coop.codes.gb_t_4762_1984 import POLITICAL_STATUS
from coop.codes.poverty_status import POVERTY_STATUS
from coop.members.tables import Member
from coop.validation import Msg

# The 56 ethnic groups with their GB/T 3304 codes; each name a literal for the catalogs.
ETHNICITIES = {
    "01": Msg("Han"),
    "02": Msg("Mongol"),
    "03": Msg("Hui"),
    "04": Msg("Tibetan"),
    "05": Msg("Uyghur"),
    "06": Msg("Miao"),
    "07": Msg("Yi"),
    "08": Msg("Zhuang"),
    "09": Msg("Bouyei"),
    "10": Msg("Korean"),
    "11": Msg("Manchu"),
    "12": Msg("Dong"),
    "13": Msg("Yao"),
    "14": Msg("Bai"),
    "15": Msg("Tujia"),
    "16": Msg("Hani"),
    "17": Msg("Kazakh"),
    "18": Msg("Dai"),
    "19": Msg("Li"),
    "20": Msg("Lisu"),
    "21": Msg("Va"),
    "22": Msg("She"),
    "23": Msg("Gaoshan"),
    "24": Msg("Lahu"),
    "25": Msg("Shui"),
    "26": Msg("Dongxiang"),
    "27": Msg("Naxi"),
    "28": Msg("Jingpo"),
    "29": Msg("Kyrgyz"),
    "30": Msg("Tu"),
    "31": Msg("Daur"),
    "32": Msg("Mulao"),
    "33": Msg("Qiang"),
    "34": Msg("Blang"),
    "35": Msg("Salar"),
    "36": Msg("Maonan"),
    "37": Msg("Gelao"),
    "38": Msg("Xibe"),
    "39": Msg("Achang"),
    "40": Msg("Pumi"),
    "41": Msg("Tajik"),
    "42": Msg("Nu"),
    "43": Msg("Uzbek"),
    "44": Msg("Russian"),
    "45": Msg("Evenki"),
    "46": Msg("De'ang"),
    "47": Msg("Bonan"),
    "48": Msg("Yugur"),
    "49": Msg("Gin"),
    "50": Msg("Tatar"),
    "51": Msg("Derung"),
    "52": Msg("Oroqen"),
    "53": Msg("Hezhen"),
    "54": Msg("Monba"),
    "55": Msg("Lhoba"),
    "56": Msg("Jino"),
}

# The real-name record's coded fields (coop.codes): field -> its national code list.
CODED = {
    "education": EDUCATION_CODES,
    "political_status": POLITICAL_STATUS,
    "employment_status": EMPLOYMENT_STATUS,
    "skill_level": SKILL_LEVEL,
    "poverty_status": POVERTY_STATUS,
}
EDUCATION = EDUCATION_CODES.labels
POVERTY_STATUSES = POVERTY_STATUS.labels

POSTS = {
    Member.Post.base: Msg("Production base"),
    Member.Post.workshop: Msg("Processing workshop"),
    Member.Post.processing: Msg("Processing"),
    Member.Post.sales: Msg("Sales"),
    Member.Post.livestream: Msg("Livestream selling"),
    Member.Post.other: Msg("Other post"),
}

STATUSES = {
    Member.Status.applicant: Msg("Applicant"),
    Member.Status.member: Msg("Member"),
    Member.Status.transferred_out: Msg("Transferred out"),
    Member.Status.left: Msg("Withdrawn"),
    Member.Status.retained: Msg("Membership retained"),
    Member.Status.expelled: Msg("Expelled"),
}

SEXES = {"M": Msg("Male"), "F": Msg("Female")}

# What each event in a member's history is called.
EVENTS = {
    "applied": Msg("Applied"),
    "re_enrolled": Msg("Enrolled again"),
    "approved": Msg("Approved"),
    "updated": Msg("Details changed"),
    "welcome_pack": Msg("Welcome pack issued"),
    "welcome_pack_undone": Msg("Welcome pack issue undone"),
    "worker_post": Msg("Worker post recorded"),
    "left": Msg("Left the union"),
    "transferred_out": Msg("Transferred out"),
    "id_revealed": Msg("Full ID number shown"),
    "phone_revealed": Msg("Full phone number shown"),
    "change_join": Msg("Joined"),
    "change_transfer_in": Msg("Transferred in"),
    "change_retain": Msg("Membership retained"),
    "change_restore": Msg("Membership restored"),
    "change_transfer_out": Msg("Transferred out"),
    "change_expel": Msg("Expelled"),
    "change_withdraw": Msg("Withdrew"),
    "transfer_sent": Msg("Transfer sent"),
    "transfer_accepted": Msg("Transfer accepted"),
    "transfer_refused": Msg("Transfer refused"),
    "transfer_cancelled": Msg("Transfer cancelled"),
}

# Membership changes (会籍变化) and their coded reasons (coop.members.domain.membership).
CHANGES = {
    "join": Msg("Join (入会)"),
    "transfer_in": Msg("Transfer in (转入)"),
    "retain": Msg("Retain membership (保留)"),
    "restore": Msg("Restore from retained"),
    "transfer_out": Msg("Transfer out (转出)"),
    "expel": Msg("Expel (除名)"),
    "withdraw": Msg("Withdrawal (退会)"),
}

REASONS = {
    1: Msg("Labour (work) relationship changed"),
    2: Msg("Laid off, waiting for a post in the same employer"),
    3: Msg("Unemployed"),
    4: Msg("Employer went bankrupt"),
    5: Msg("Withdrawal at the member's own request"),
    6: Msg("Expelled for a crime"),
}

TRANSFER_STATUSES = {
    "pending": Msg("Waiting"),
    "accepted": Msg("Accepted"),
    "refused": Msg("Refused"),
    "cancelled": Msg("Cancelled"),
}


def coded(errors: dict[str, Msg], name: str, value: str) -> str:
    """A coded field's value as its code, from the code or any of its names; an error naming
    the allowed values when it is none of them."""
    codes = CODED[name]
    if not unicodedata.normalize("NFKC", value or "").strip():
        return ""
    code = codes.lookup(value)
    if code is None:
        errors[name] = Msg(
            "Not in the {standard} list. Allowed: {allowed}.",
            standard=codes.standard,
            allowed=codes.allowed(),
        )
        return ""
    return code


def region(errors: dict[str, Msg], name: str, value: str) -> str:
    """A six-digit region code (GB/T 2260) in python-stdnum's table; empty for none."""
    if not unicodedata.normalize("NFKC", value or "").strip():
        return ""
    code = region_code(value)
    if code is None:
        errors[name] = Msg("Not a region code: six digits (GB/T 2260), such as 500113.")
        return ""
    return code
