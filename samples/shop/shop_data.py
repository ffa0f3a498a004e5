"""The sample shop's fixed facts: dates, catalogue, visitors, campaigns, busy hours."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

SEED = 20241104
SHOP_TZ = timezone(timedelta(hours=1))  # the shop's winter time, CET
START = datetime(2024, 11, 4, tzinfo=SHOP_TZ)
END = START + timedelta(weeks=6)
PEOPLE = 400
STAFF = 3
SITE = "https://shop.example.test"
SHIPPING_FREE_FROM = 50.0
SHIPPING_FEE = 4.9

# sku, name, category, price in EUR
CATALOGUE = [
    ("CB-101", "House Blend 250 g", "coffee/beans", 8.9),
    ("CB-102", "Ethiopia Yirgacheffe 250 g", "coffee/beans", 12.5),
    ("CB-103", "Colombia Huila 250 g", "coffee/beans", 11.0),
    ("CB-104", "Espresso Forte 1 kg", "coffee/beans", 29.0),
    ("CB-105", "Decaf Mexico 250 g", "coffee/beans", 10.5),
    ("CB-106", "Kenya AA 250 g", "coffee/beans", 14.0),
    ("CG-201", "House Blend ground 250 g", "coffee/ground", 8.9),
    ("CG-202", "Decaf ground 250 g", "coffee/ground", 10.5),
    ("CG-203", "Filter Blend ground 500 g", "coffee/ground", 15.5),
    ("TL-301", "Darjeeling First Flush 100 g", "tea/loose", 13.0),
    ("TL-302", "Sencha 100 g", "tea/loose", 9.5),
    ("TL-303", "Earl Grey 100 g", "tea/loose", 7.5),
    ("TB-304", "Chamomile bags x20", "tea/bags", 4.5),
    ("TB-305", "Peppermint bags x20", "tea/bags", 4.5),
    ("EG-401", "Hand grinder Comandante-style", "equipment/grinders", 89.0),
    ("EG-402", "Electric burr grinder", "equipment/grinders", 189.0),
    ("EE-403", "Espresso machine Duo", "equipment/espresso", 549.0),
    ("EE-404", "Espresso machine Pro", "equipment/espresso", 899.0),
    ("EB-405", "Pour-over dripper", "equipment/brewers", 24.0),
    ("EB-406", "French press 1 l", "equipment/brewers", 32.0),
    ("EB-407", "Moka pot 6 cups", "equipment/brewers", 29.5),
    ("EB-408", "Gooseneck kettle", "equipment/brewers", 59.0),
    ("AM-501", "Stoneware mug", "accessories/mugs", 14.0),
    ("AM-502", "Double-wall glass set", "accessories/mugs", 22.0),
    ("AF-503", "Paper filters x100", "accessories/filters", 5.5),
    ("AF-504", "Cleaning tablets", "accessories/filters", 9.0),
    ("AS-505", "Digital scale", "accessories/tools", 35.0),
    ("GC-601", "Gift card 25", "gifts/cards", 25.0),
    ("GC-602", "Gift card 50", "gifts/cards", 50.0),
    ("GB-603", "Tasting box", "gifts/boxes", 39.0),
]
CONSUMABLES = [p for p in CATALOGUE if p[2].startswith(("coffee/", "tea/"))]
BIG_TICKET = [p for p in CATALOGUE if p[3] >= 189]

CATEGORY_TITLES = {
    "coffee": "Coffee",
    "tea": "Tea",
    "equipment": "Equipment",
    "accessories": "Accessories",
    "gifts": "Gifts",
}

SEARCHES = [
    "decaf",
    "espresso",
    "grinder",
    "Ethiopia",
    "gift card",
    "oat milk",
    "french press",
    "green tea",
    "filter papers",
    "descaler",
]

USER_AGENTS = [
    (
        "desktop",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/130.0.0.0 Safari/537.36",
    ),
    (
        "desktop",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Version/18.1 Safari/605.1.15",
    ),
    (
        "desktop",
        "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    ),
    (
        "desktop",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
    ),
    (
        "mobile",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    ),
    (
        "mobile",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
    ),
    (
        "mobile",
        "Mozilla/5.0 (Linux; Android 13; SM-A536B) AppleWebKit/537.36 (KHTML, like "
        "Gecko) Chrome/129.0.0.0 Mobile Safari/537.36",
    ),
    (
        "tablet",
        "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
        "like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    ),
]
UA_WEIGHTS = [24, 12, 4, 6, 26, 16, 8, 4]

FIRST_NAMES = [
    "Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hannah", "Jonas",
    "Lena", "Lukas", "Marie", "Max", "Mia", "Noah", "Paul", "Sophie", "Tim", "Zoë",
    "José", "Björn", "Aisha", "Kenji", "Priya", "Olivia", "Liam", "Chloé", "Mateo",
    "Sara", "Tomás", "Ingrid", "Yusuf", "Elif", "Marta", "Nils", "Rosa",
]  # fmt: skip
LAST_NAMES = [
    "Becker", "Fischer", "Hoffmann", "Klein", "Krüger", "Lange", "Meyer", "Neumann",
    "Schmidt", "Schulz", "Wagner", "Weber", "Wolf", "Novak", "Rossi", "García",
    "Jensen", "Okafor", "Tanaka", "Dubois", "Silva", "Kowalski", "Murphy", "Yilmaz",
]  # fmt: skip
ASCII_FOLD = str.maketrans(
    {"ë": "e", "é": "e", "ö": "o", "ü": "u", "á": "a", "í": "i"}
)
AREA_CODES = ["202", "212", "305", "312", "415", "503", "617", "702", "808", "919"]

# Campaigns that bring people in; the first field picks who sees them.
CAMPAIGNS = [
    ("anyone", {"source": "instagram", "medium": "social", "campaign": "autumn-roast"}),
    ("anyone", {"source": "google", "medium": "cpc", "campaign": "espresso-machines"}),
    ("anyone", {"source": "podcast", "medium": "audio", "campaign": "brew-better"}),
    ("subscriber", {"source": "newsletter", "medium": "email", "campaign": "weekly"}),
]
BLACK_FRIDAY = (datetime(2024, 11, 28, tzinfo=SHOP_TZ), timedelta(days=5))
BLACK_FRIDAY_UTM = {
    "source": "newsletter",
    "medium": "email",
    "campaign": "black-friday",
}
REFERRERS = [
    "https://www.google.com/",
    "https://www.instagram.com/",
    "https://duckduckgo.com/",
    "https://www.reddit.com/r/Coffee/",
]

# Visits by hour of the day in the shop's time zone: quiet nights, busy evenings.
HOUR_WEIGHTS = [
    1,
    1,
    1,
    1,
    1,
    1,
    2,
    4,
    6,
    6,
    6,
    6,
    7,
    7,
    6,
    6,
    6,
    7,
    9,
    11,
    12,
    11,
    7,
    3,
]
REFUND_REASONS = ["damaged", "wrong item", "changed mind", "arrived late"]
