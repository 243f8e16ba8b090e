from enum import StrEnum

from piccolo.columns import Date, ForeignKey, Integer, OnDelete, Text, Varchar
from piccolo.table import Table

# Names are unique within their parent: unique indexes made in the first migration.


class Union(Table, tablename="trade_union", help_text="工会: a node of the union tree."):
    class Level(StrEnum):
        district = "district"  # 区总工会
        town = "town"  # 镇总工会
        federation = "federation"  # 产业工会联合会

    name = Varchar(length=100)
    level = Varchar(length=20, choices=Level)
    parent = ForeignKey("self", on_delete=OnDelete.restrict, null=True, default=None)
    founded_on = Date(null=True, default=None)

    @classmethod
    def get_readable(cls):
        from piccolo.columns.readable import Readable

        return Readable(template="%s", columns=[cls.name])


class Village(Table, tablename="village", help_text="村: belongs to a town."):
    name = Varchar(length=100)
    town = ForeignKey(Union, on_delete=OnDelete.restrict)

    @classmethod
    def get_readable(cls):
        from piccolo.columns.readable import Readable

        return Readable(template="%s", columns=[cls.name])


class Cooperative(Table, tablename="cooperative", help_text="合作社: member of a federation."):
    name = Varchar(length=100)
    federation = ForeignKey(Union, on_delete=OnDelete.restrict)
    village = ForeignKey(
        Village, on_delete=OnDelete.restrict, help_text="The village the cooperative sits in."
    )
    products = Text(default="", help_text="Product names separated by 、")

    @classmethod
    def get_readable(cls):
        from piccolo.columns.readable import Readable

        return Readable(template="%s", columns=[cls.name])


class StandardItem(
    Table,
    tablename="federation_standard_item",
    help_text="One item of a federation's establishment standard (六有), as a checklist.",
):
    class Status(StrEnum):
        not_started = "not_started"
        in_progress = "in_progress"
        done = "done"

    federation = ForeignKey(Union, on_delete=OnDelete.cascade, index=True)
    key = Varchar(
        length=30, default="", help_text="A default item's key; empty for an item added later."
    )
    title = Varchar(length=100, default="", help_text="An added item's title.")
    position = Integer(default=0)
    status = Varchar(length=20, choices=Status, default=Status.not_started.value)
    evidence = Text(default="", help_text="What shows the item is met: a note.")
    dated_on = Date(null=True, default=None, help_text="When the status was reached.")

    @classmethod
    def get_readable(cls):
        from piccolo.columns.readable import Readable

        return Readable(template="%s", columns=[cls.title])
