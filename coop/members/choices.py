"""The fixed lists on the enrollment form, with names in the user's language."""

from coop.members.tables import Member
from coop.validation import Msg

# The 56 ethnic groups in the order and with the codes of GB/T 3304.
ETHNICITIES = {
    f"{code:02d}": Msg(name)
    for code, name in enumerate(
        [
            "Han",
            "Mongol",
            "Hui",
            "Tibetan",
            "Uyghur",
            "Miao",
            "Yi",
            "Zhuang",
            "Bouyei",
            "Korean",
            "Manchu",
            "Dong",
            "Yao",
            "Bai",
            "Tujia",
            "Hani",
            "Kazakh",
            "Dai",
            "Li",
            "Lisu",
            "Va",
            "She",
            "Gaoshan",
            "Lahu",
            "Shui",
            "Dongxiang",
            "Naxi",
            "Jingpo",
            "Kyrgyz",
            "Tu",
            "Daur",
            "Mulao",
            "Qiang",
            "Blang",
            "Salar",
            "Maonan",
            "Gelao",
            "Xibe",
            "Achang",
            "Pumi",
            "Tajik",
            "Nu",
            "Uzbek",
            "Russian",
            "Evenki",
            "De'ang",
            "Bonan",
            "Yugur",
            "Gin",
            "Tatar",
            "Derung",
            "Oroqen",
            "Hezhen",
            "Monba",
            "Lhoba",
            "Jino",
        ],
        start=1,
    )
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
    Member.Status.left: Msg("Left"),
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
}
