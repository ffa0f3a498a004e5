"""What the CSV tests share: a shop mapping, its header, and a reader over files."""

from inputs_harness import RECEIVED

from tracsh.inputs import read_items

SHOP = """
[event]
type = "kind"
time = { column = "at", format = "%Y-%m-%d %H:%M:%S UTC" }
profile = "user"
session = "visit"
source = { value = "shop" }
tags = ["import"]

[properties]
sku = "sku"
price = { column = "price", as = "number" }
quantity = { column = "qty", as = "int", empty = "null" }
gift = { column = "gift", as = "bool" }
channel = { value = "web" }

[properties.product]
brand = "brand"

[context]
batch = { value = 7 }
"""

HEADER = "at,kind,user,visit,sku,price,qty,gift,brand\n"


def read(tmp_path, rows, mapping=SHOP, header=HEADER, **options):
    (tmp_path / "map.toml").write_text(mapping)
    data = rows if isinstance(rows, bytes) else (header + rows).encode()
    (tmp_path / "data.csv").write_bytes(data)
    items = read_items(
        tmp_path / "data.csv",
        mapping=tmp_path / "map.toml",
        received=RECEIVED,
        **options,
    )
    return list(items)
