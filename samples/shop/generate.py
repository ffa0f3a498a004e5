"""Generates the sample shop's event stream: six weeks of a small coffee shop online.

Run ``python samples/shop/generate.py > samples/shop/events.ndjson``. The output is
seeded, so the same script always writes the same bytes; the example rules in
``rules/`` are written against it. Standard library only, so it runs anywhere;
the shop's fixed facts (catalogue, names, campaigns) are in shop_data.py beside it.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from shop_data import (
    AREA_CODES,
    ASCII_FOLD,
    BIG_TICKET,
    BLACK_FRIDAY,
    BLACK_FRIDAY_UTM,
    CAMPAIGNS,
    CATALOGUE,
    CATEGORY_TITLES,
    CONSUMABLES,
    END,
    FIRST_NAMES,
    HOUR_WEIGHTS,
    LAST_NAMES,
    PEOPLE,
    REFERRERS,
    REFUND_REASONS,
    SEARCHES,
    SEED,
    SHIPPING_FEE,
    SHIPPING_FREE_FROM,
    SITE,
    STAFF,
    START,
    UA_WEIGHTS,
    USER_AGENTS,
)


@dataclass
class Person:
    """One visitor: who they are, how they browse, and what they have done so far."""

    profile_id: str
    kind: str
    first_name: str
    last_name: str
    email: str
    phone: str | None
    user_agent: str
    device: str
    signed_up: bool = False
    subscribed: bool = False
    push_token: str | None = None
    cart: list[tuple] = field(default_factory=list)
    orders: list[dict] = field(default_factory=list)
    refunded: list[str] = field(default_factory=list)


@dataclass
class Visit:
    """One session: who, when it starts, its campaign, and the events so far."""

    person: Person
    session_id: str
    clock: datetime
    utm: dict | None
    referrer: str | None
    events: list[dict] = field(default_factory=list)


class Shop:
    """Draws people and their visits from one seeded random generator."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.emails: set[str] = set()
        self.phones: set[str] = set()
        self.ids: set[str] = set()
        self.orders = 0

    def new_id(self, prefix: str, bits: int) -> str:
        """A random id that has not been handed out before."""
        while True:
            value = f"{prefix}-{self.rng.getrandbits(bits):0{bits // 4}x}"
            if value not in self.ids:
                self.ids.add(value)
                return value

    # --- people ---------------------------------------------------------------

    def person(self, kind: str) -> Person:
        """A new visitor of the given kind with a name, a device and an address."""
        rng = self.rng
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        device, user_agent = rng.choices(USER_AGENTS, weights=UA_WEIGHTS)[0]
        domain = "shop.example.test" if kind == "staff" else self.customer_domain()
        return Person(
            profile_id=self.new_id("p", 40),
            kind=kind,
            first_name=first,
            last_name=last,
            email=self.email(first, last, domain),
            phone=self.phone() if rng.random() < 0.3 else None,
            user_agent=user_agent,
            device=device,
        )

    def customer_domain(self) -> str:
        return "example.test" if self.rng.random() < 0.7 else "example.com"

    def email(self, first: str, last: str, domain: str) -> str:
        """A unique, obviously fake address; some are typed with capitals."""
        local = f"{first}.{last}".translate(ASCII_FOLD)
        for suffix in ["", *range(2, 100)]:
            address = f"{local}{suffix}@{domain}"
            if address.lower() not in self.emails:
                break
        self.emails.add(address.lower())
        if self.rng.random() < 0.1:
            return address  # as typed, with capitals
        return address.lower()

    def phone(self) -> str:
        """A number from the 555-01xx range that is reserved for fiction."""
        while True:
            area = self.rng.choice(AREA_CODES)
            number = f"+1{area}55501{self.rng.randrange(100):02d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    # --- visit times ----------------------------------------------------------

    def visit_times(self, count: int, first_within: timedelta) -> list[datetime]:
        """``count`` visit starts, the first within ``first_within`` of the start."""
        rng = self.rng
        first = self.moment(START, first_within)
        times = [first]
        for _ in range(count * 20):
            if len(times) == count:
                break
            candidate = self.moment(first, END - first)
            if all(abs(candidate - t) > timedelta(hours=3) for t in times):
                times.append(candidate)
        times.sort()
        return [t + timedelta(seconds=rng.randrange(60)) for t in times]

    def moment(self, since: datetime, span: timedelta) -> datetime:
        """A time in [since, since + span) whose hour of day follows HOUR_WEIGHTS."""
        rng = self.rng
        days = max(1, span.days)
        day = since.replace(hour=0, minute=0, second=0) + timedelta(
            days=rng.randrange(days)
        )
        day = self.black_friday_pull(day)
        hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
        moment = day + timedelta(hours=hour, minutes=rng.randrange(60))
        if moment < since:
            moment = since + timedelta(minutes=rng.randrange(1, 120))
        return min(moment, END - timedelta(hours=2))

    def black_friday_pull(self, day: datetime) -> datetime:
        """Moves some visits into the Black Friday weekend, as the campaign did."""
        start, length = BLACK_FRIDAY
        if self.rng.random() < 0.12:
            return start + timedelta(days=self.rng.randrange(length.days))
        return day

    # --- visits ---------------------------------------------------------------

    def open_visit(self, person: Person, start: datetime) -> Visit:
        """A new session with its campaign and referrer drawn for this visit."""
        utm = self.campaign(person, start)
        referrer = None
        if utm is None and self.rng.random() < 0.45:
            referrer = self.rng.choice(REFERRERS)
        session_id = self.new_id("s", 48)
        return Visit(person, session_id, start, utm, referrer)

    def campaign(self, person: Person, start: datetime) -> dict | None:
        rng = self.rng
        bf_start, bf_length = BLACK_FRIDAY
        if person.subscribed and bf_start <= start < bf_start + bf_length:
            if rng.random() < 0.6:
                return dict(BLACK_FRIDAY_UTM)
        if rng.random() >= 0.3:
            return None
        audience, utm = rng.choice(CAMPAIGNS)
        if audience == "subscriber" and not person.subscribed:
            return None
        utm = dict(utm)
        if utm["campaign"] == "weekly":
            utm["campaign"] = f"weekly-{start.isocalendar().week}"
        return utm

    def emit(self, visit: Visit, type_: str, properties: dict, path: str) -> dict:
        """Appends an event to the visit, a few seconds to minutes after the last."""
        if visit.events:
            visit.clock += timedelta(seconds=self.rng.randint(5, 240))
        context = {"user_agent": visit.person.user_agent}
        page = {"url": SITE + path}
        if visit.events:
            page["referrer"] = visit.events[-1]["context"]["page"]["url"]
        elif visit.referrer:
            page["referrer"] = visit.referrer
        context["page"] = page
        if visit.utm:
            context["utm"] = dict(visit.utm)
        event = {
            "id": None,
            "type": type_,
            "time": visit.clock.isoformat(timespec="seconds"),
            "source": {"id": "web-shop"},
            "session": {"id": visit.session_id},
            "profile": {"id": visit.person.profile_id},
            "properties": properties,
            "context": context,
        }
        visit.events.append(event)
        return event

    # --- what people do during a visit ----------------------------------------

    def page(self, visit: Visit, path: str, title: str) -> None:
        self.emit(visit, "page-view", {"path": path, "title": title}, path)

    def product_view(self, visit: Visit, product: tuple) -> None:
        sku, name, category, price = product
        properties = {
            "sku": sku,
            "name": name,
            "category": category,
            "price": price,
            "currency": "EUR",
        }
        self.emit(visit, "product-view", properties, f"/products/{sku.lower()}")

    def browse(self, visit: Visit, products: int, likes: list[tuple]) -> None:
        """Landing page, a category or a search, then a few product pages."""
        rng = self.rng
        if visit.utm and visit.utm["campaign"] == "espresso-machines":
            self.page(visit, "/c/equipment", "Equipment")
        else:
            self.page(visit, "/", "Home")
        if rng.random() < 0.2:
            query = rng.choice(SEARCHES)
            results = rng.randint(0, 12)
            path = "/search?q=" + query.replace(" ", "+")
            self.emit(visit, "search", {"query": query, "results": results}, path)
        for _ in range(products):
            product = rng.choice(likes) if rng.random() < 0.7 else rng.choice(CATALOGUE)
            if rng.random() < 0.2:
                top = product[2].split("/")[0]
                self.page(visit, f"/c/{top}", CATEGORY_TITLES[top])
            self.product_view(visit, product)

    def add_to_cart(self, visit: Visit, product: tuple) -> None:
        sku, name, category, price = product
        quantity = 1 if price > 30 or self.rng.random() < 0.7 else 2
        visit.person.cart.append((product, quantity))
        properties = {
            "sku": sku,
            "name": name,
            "category": category,
            "price": price,
            "quantity": quantity,
            "currency": "EUR",
        }
        self.emit(visit, "add-to-cart", properties, f"/products/{sku.lower()}")

    def remove_from_cart(self, visit: Visit) -> None:
        product, _ = visit.person.cart.pop(self.rng.randrange(len(visit.person.cart)))
        properties = {"sku": product[0], "name": product[1]}
        self.emit(visit, "remove-from-cart", properties, "/cart")

    def fill_cart(self, visit: Visit, likes: list[tuple], big_ticket: bool) -> None:
        """Views and adds one to three products; sometimes takes one back out."""
        rng = self.rng
        picks = [rng.choice(likes) for _ in range(rng.randint(1, 3))]
        if big_ticket:
            picks[0] = rng.choice(BIG_TICKET)
        for product in picks:
            self.product_view(visit, product)
            if product not in [p for p, _ in visit.person.cart]:
                self.add_to_cart(visit, product)
        if len(visit.person.cart) > 1 and rng.random() < 0.15:
            self.remove_from_cart(visit)

    def cart_total(self, cart: list[tuple]) -> float:
        return round(sum(p[3] * q for p, q in cart), 2)

    def sign_up(self, visit: Visit) -> None:
        """The sign-up form: e-mail always, name and phone when people give them."""
        person, rng = visit.person, self.rng
        self.page(visit, "/account/sign-up", "Create an account")
        properties = {"email": person.email}
        if rng.random() < 0.65:
            properties["first_name"] = person.first_name
            if rng.random() < 0.7:
                properties["last_name"] = person.last_name
        if person.phone:
            properties["phone"] = person.phone
            properties["sms_opt_in"] = rng.random() < 0.6
        properties["method"] = "email"
        self.emit(visit, "sign-up", properties, "/account/sign-up")
        person.signed_up = True
        if rng.random() < 0.55:
            self.subscribe(visit, "sign-up")

    def subscribe(self, visit: Visit, form: str) -> None:
        properties = {"email": visit.person.email, "list": "weekly", "form": form}
        self.emit(visit, "newsletter-subscribe", properties, "/newsletter")
        visit.person.subscribed = True

    def unsubscribe(self, visit: Visit) -> None:
        reason = self.rng.choice(["too many emails", "not interested", None])
        properties = {"list": "weekly", "reason": reason}
        if reason is None:
            del properties["reason"]
        self.page(visit, "/newsletter/unsubscribe", "Unsubscribe")
        self.emit(visit, "newsletter-unsubscribe", properties, "/newsletter")
        visit.person.subscribed = False

    def push_subscribe(self, visit: Visit) -> None:
        visit.person.push_token = self.new_id("push", 64)
        properties = {"token": visit.person.push_token, "platform": "web"}
        self.emit(visit, "push-subscribe", properties, "/")

    def checkout_and_pay(self, visit: Visit) -> None:
        """Checkout, then the purchase of everything in the cart."""
        person, rng = visit.person, self.rng
        if not person.signed_up:
            self.sign_up(visit)
        elif rng.random() < 0.5:
            self.emit(visit, "sign-in", {"method": "email"}, "/account/sign-in")
        subtotal = self.cart_total(person.cart)
        checkout = {
            "total": subtotal,
            "item_count": sum(q for _, q in person.cart),
            "currency": "EUR",
        }
        self.emit(visit, "checkout", checkout, "/checkout")
        self.emit(visit, "purchase", self.order(person, subtotal), "/checkout/thanks")
        person.cart.clear()

    def order(self, person: Person, subtotal: float) -> dict:
        """The purchase properties; the order id is numbered later, in time order."""
        rng = self.rng
        self.orders += 1
        shipping = 0.0 if subtotal >= SHIPPING_FREE_FROM else SHIPPING_FEE
        discount, coupon = 0.0, None
        if not person.orders and rng.random() < 0.25:
            coupon, discount = "WELCOME10", round(subtotal * 0.1, 2)
        items = [
            {"sku": p[0], "name": p[1], "category": p[2], "price": p[3], "quantity": q}
            for p, q in person.cart
        ]
        order = {
            "order_id": f"tmp-{self.orders}",
            "total": round(subtotal + shipping - discount, 2),
            "subtotal": subtotal,
            "shipping": shipping,
            "discount": discount,
            "currency": "EUR",
            "payment": rng.choice(["card", "card", "paypal", "klarna"]),
            "items": items,
        }
        if coupon:
            order["coupon"] = coupon
        person.orders.append(order)
        return order

    def refund(self, visit: Visit) -> None:
        """An order sent back, in full or one line of it."""
        person, rng = visit.person, self.rng
        order = rng.choice(
            [o for o in person.orders if o["order_id"] not in person.refunded]
        )
        person.refunded.append(order["order_id"])
        self.page(visit, "/account/orders", "Your orders")
        amount = order["total"]
        if len(order["items"]) > 1 and rng.random() < 0.5:
            amount = order["items"][0]["price"]
        properties = {
            "order_id": order["order_id"],
            "amount": amount,
            "currency": "EUR",
            "reason": rng.choice(REFUND_REASONS),
        }
        self.emit(visit, "refund", properties, "/account/orders")


# --- the kinds of visitor -----------------------------------------------------

KINDS = [("bouncer", 0.47), ("browser", 0.25), ("buyer", 0.17), ("regular", 0.11)]
VISITS = {"bouncer": (1, 2), "browser": (2, 4), "buyer": (1, 3), "regular": (4, 8)}


def plan_purchases(shop: Shop, kind: str, visits: int) -> set[int]:
    """Which visits (0-based) end in a purchase for this kind of visitor."""
    rng = shop.rng
    if kind == "buyer":
        return {rng.randrange(visits)}
    if kind == "staff":
        return {visits - 1}
    if kind != "regular":
        return set()
    buys = {rng.randrange(min(3, visits))}
    later = list(range(3, visits))
    buys.update(rng.sample(later, k=min(len(later), rng.randint(1, 4))))
    return buys


def live(shop: Shop, person: Person) -> list[dict]:
    """Every event of one person over the six weeks."""
    rng = shop.rng
    low, high = VISITS.get(person.kind, (3, 5))
    count = rng.randint(low, high)
    first_within = timedelta(weeks=2) if person.kind == "regular" else END - START
    starts = shop.visit_times(count, first_within)
    buys = plan_purchases(shop, person.kind, len(starts))
    likes = rng.sample(CATALOGUE, k=6)
    if person.kind == "regular":
        likes += rng.sample(CONSUMABLES, k=3)
    events = []
    for index, start in enumerate(starts):
        visit = shop.open_visit(person, start)
        play_visit(shop, visit, index, index in buys, likes)
        events.extend(visit.events)
    return events


def play_visit(shop: Shop, visit: Visit, index: int, buys: bool, likes: list) -> None:
    """One session: browsing, then whatever this visit is for."""
    rng, person = shop.rng, visit.person
    if person.kind == "bouncer":
        shop.browse(visit, rng.randint(0, 2), likes)
        return
    shop.browse(visit, rng.randint(1, 3), likes)
    chores(shop, visit, index)
    if buys:
        big = person.kind == "regular" and rng.random() < 0.22
        shop.fill_cart(visit, likes, big_ticket=big)
        if person.cart:
            shop.checkout_and_pay(visit)
    elif rng.random() < 0.3:
        shop.fill_cart(visit, likes, big_ticket=False)
        if rng.random() < 0.3:
            shop.emit(visit, "checkout", checkout_of(shop, person), "/checkout")
    elif not person.signed_up and rng.random() < 0.12:
        shop.sign_up(visit)


def chores(shop: Shop, visit: Visit, index: int) -> None:
    """The occasional side errand: a refund, the newsletter, web push."""
    rng, person = shop.rng, visit.person
    open_orders = [o for o in person.orders if o["order_id"] not in person.refunded]
    if open_orders and rng.random() < 0.1:
        shop.refund(visit)
    if person.subscribed and index > 1 and rng.random() < 0.05:
        shop.unsubscribe(visit)
    elif not person.subscribed and rng.random() < 0.06:
        shop.subscribe(visit, "footer")
    if person.device == "mobile" and not person.push_token and rng.random() < 0.12:
        shop.push_subscribe(visit)


def checkout_of(shop: Shop, person: Person) -> dict:
    """The checkout event of a cart that is then abandoned."""
    return {
        "total": shop.cart_total(person.cart),
        "item_count": sum(q for _, q in person.cart),
        "currency": "EUR",
    }


def number_events(events: list[dict]) -> None:
    """Gives events ids and orders ids in time order, as the shop would."""
    order_ids: dict[str, str] = {}
    for index, event in enumerate(events, start=1):
        event["id"] = f"ev-{index:05d}"
        properties = event["properties"]
        if event["type"] == "purchase":
            order_ids[properties["order_id"]] = f"ORD-{10000 + len(order_ids) + 1}"
        if event["type"] in ("purchase", "refund"):
            properties["order_id"] = order_ids[properties["order_id"]]


def generate(seed: int = SEED) -> list[dict]:
    """The whole stream, sorted by time."""
    shop = Shop(seed)
    kinds = [k for k, _ in KINDS]
    weights = [w for _, w in KINDS]
    people = [shop.person("staff") for _ in range(STAFF)]
    people += [
        shop.person(shop.rng.choices(kinds, weights=weights)[0])
        for _ in range(PEOPLE - STAFF)
    ]
    events = []
    for person in people:
        for seq, event in enumerate(live(shop, person)):
            events.append((event["time"], person.profile_id, seq, event))
    events.sort(key=lambda row: row[:3])
    ordered = [row[3] for row in events]
    number_events(ordered)
    return ordered


def main() -> None:
    out = sys.stdout.buffer
    for event in generate():
        line = json.dumps(event, ensure_ascii=False, separators=(",", ":"))
        out.write(line.encode("utf-8") + b"\n")


if __name__ == "__main__":
    main()
