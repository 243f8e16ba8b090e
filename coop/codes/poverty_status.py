"""Poverty status (特定身份 information, shown only to federation staff): 脱贫户, 监测户
(防止返贫监测对象), 一般. The national rural revitalisation administration's terms; no
numeric standard, so the codes are the app's own words."""

from coop.codes import CodeList
from coop.validation import Msg

POVERTY_STATUS = CodeList(
    "脱贫攻坚成果巩固 户类型",
    labels={
        "lifted": Msg("Household lifted out of poverty"),
        "monitored": Msg("Household monitored against relapse into poverty"),
        "ordinary": Msg("Ordinary household"),
    },
    names={"lifted": "脱贫户", "monitored": "监测户", "ordinary": "一般"},
    aliases={
        "脱贫人口": "lifted",
        "监测对象": "monitored",
        "防止返贫监测对象": "monitored",
        "一般户": "ordinary",
        "一般农户": "ordinary",
    },
)
