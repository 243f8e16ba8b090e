"""政治面貌代码, GB/T 4762-1984: 13 values, 01 中共党员 … 13 群众."""

from coop.codes import CodeList
from coop.validation import Msg

POLITICAL_STATUS = CodeList(
    "GB/T 4762-1984",
    labels={
        "01": Msg("Member of the Communist Party of China"),
        "02": Msg("Probationary member of the Communist Party of China"),
        "03": Msg("Member of the Communist Youth League"),
        "04": Msg("Member of the Revolutionary Committee of the Kuomintang"),
        "05": Msg("Member of the China Democratic League"),
        "06": Msg("Member of the China National Democratic Construction Association"),
        "07": Msg("Member of the China Association for Promoting Democracy"),
        "08": Msg("Member of the Chinese Peasants' and Workers' Democratic Party"),
        "09": Msg("Member of the China Zhi Gong Party"),
        "10": Msg("Member of the Jiusan Society"),
        "11": Msg("Member of the Taiwan Democratic Self-Government League"),
        "12": Msg("Independent"),
        "13": Msg("Ordinary citizen"),
    },
    names={
        "01": "中共党员",
        "02": "中共预备党员",
        "03": "共青团员",
        "04": "民革党员",
        "05": "民盟盟员",
        "06": "民建会员",
        "07": "民进会员",
        "08": "农工党党员",
        "09": "致公党党员",
        "10": "九三学社社员",
        "11": "台盟盟员",
        "12": "无党派人士",
        "13": "群众",
    },
    aliases={"党员": "01", "预备党员": "02", "团员": "03", "无党派": "12"},
)
