"""The fixed lists on the enrollment form, with names in the user's language."""

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

EDUCATION = {
    "primary": Msg("Primary school or less"),
    "junior": Msg("Junior middle school"),
    "senior": Msg("Senior middle or vocational school"),
    "college": Msg("College"),
    "university": Msg("University or higher"),
}

HOUSEHOLD_TYPES = {
    "ordinary": Msg("Ordinary farm household"),
    "lifted": Msg("Household lifted out of poverty"),
    "monitored": Msg("Household monitored against relapse into poverty"),
    "other": Msg("Other"),
}

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
