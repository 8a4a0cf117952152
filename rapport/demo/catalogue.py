"""A believable catalogue: ten categories, each with its brands, items and usual price ranges."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Category:
    name: str
    code: str
    brands: tuple[str, ...]
    # (item, lowest price, highest price)
    items: tuple[tuple[str, int, int], ...]
    variants: tuple[str, ...]


CATEGORIES: tuple[Category, ...] = (
    Category(
        "Kitchen",
        "KIT",
        ("Forja", "Bergström", "Casa Forte", "Cucina Viva", "Ironleaf"),
        (
            ("Cast Iron Skillet", 35, 70),
            ("Chef's Knife", 40, 140),
            ("Dutch Oven", 80, 260),
            ("Cutting Board", 18, 55),
            ("Saucepan Set", 60, 190),
            ("Stand Mixer", 180, 450),
            ("Silicone Spatula Set", 9, 22),
            ("Mandoline Slicer", 25, 60),
            ("Kitchen Scale", 15, 45),
            ("Stockpot", 40, 110),
            ("Paring Knife", 15, 45),
            ("Carbon Steel Wok", 30, 90),
        ),
        ("20 cm", "24 cm", "28 cm", "Black", "Graphite", "Cream", "Sage", "Terracotta"),
    ),
    Category(
        "Coffee & Tea",
        "COF",
        ("Moka Norte", "Tea Garden Co.", "Bravura", "Kyoto Leaf"),
        (
            ("Espresso Beans 1 kg", 18, 38),
            ("Filter Coffee 500 g", 9, 19),
            ("Pour-Over Kettle", 35, 95),
            ("Burr Grinder", 60, 260),
            ("French Press", 20, 55),
            ("Matcha Tin 100 g", 15, 35),
            ("Loose Leaf Earl Grey 250 g", 7, 16),
            ("Espresso Machine", 180, 900),
            ("Milk Frother", 25, 80),
            ("Travel Mug", 15, 35),
            ("Cold Brew Bottle", 20, 40),
            ("Tea Sampler", 18, 40),
        ),
        ("Classic", "Dark Roast", "Single Origin", "Decaf", "Steel", "Matte Black", "White", "Copper"),
    ),
    Category(
        "Home Textiles",
        "TEX",
        ("Casa Linho", "Nordvik", "Maison Douce", "Loomwell"),
        (
            ("Linen Duvet Cover", 70, 220),
            ("Cotton Sheet Set", 45, 140),
            ("Merino Throw", 60, 180),
            ("Bath Towel Set", 30, 90),
            ("Cushion Cover", 15, 40),
            ("Waffle Robe", 45, 110),
            ("Table Runner", 18, 45),
            ("Blackout Curtains", 40, 120),
            ("Wool Rug", 90, 450),
            ("Tea Towels, 3 Pack", 12, 25),
            ("Down Pillow", 20, 70),
            ("Quilted Bedspread", 80, 240),
        ),
        ("Sand", "Oat", "Charcoal", "Sage", "Rust", "Indigo", "Single", "King"),
    ),
    Category(
        "Outdoor",
        "OUT",
        ("Trailhead", "Fjellpeak", "Sierra Gear", "Aventura"),
        (
            ("Daypack 25 L", 45, 120),
            ("Rain Jacket", 80, 260),
            ("Trekking Poles", 35, 120),
            ("Headlamp", 18, 60),
            ("Insulated Bottle", 20, 45),
            ("Camping Stove", 35, 110),
            ("Two-Person Tent", 120, 420),
            ("Sleeping Bag", 70, 280),
            ("Hiking Socks, 2 Pack", 14, 30),
            ("Fleece Jacket", 45, 130),
            ("Camp Chair", 30, 90),
            ("First Aid Kit", 18, 45),
        ),
        ("Small", "Medium", "Large", "Forest", "Slate", "Ember", "Glacier", "Black"),
    ),
    Category(
        "Garden",
        "GAR",
        ("Verdana", "Green Thumb", "Jardim Vivo", "Rosenholm"),
        (
            ("Pruning Shears", 15, 55),
            ("Watering Can", 15, 40),
            ("Raised Bed Kit", 60, 220),
            ("Garden Gloves", 8, 25),
            ("Hose Reel", 35, 110),
            ("Seed Starter Kit", 15, 40),
            ("Compost Bin", 40, 130),
            ("Bird Feeder", 15, 50),
            ("Terracotta Planter", 12, 60),
            ("Solar Path Lights, 4 Pack", 20, 60),
            ("Kneeler Bench", 25, 60),
            ("Herb Seed Collection", 8, 20),
        ),
        ("Small", "Large", "Green", "Stone", "Copper", "Natural", "Classic", "Pro"),
    ),
    Category(
        "Audio",
        "AUD",
        ("Sonora", "Klangwerk", "Bluecliff", "Aural"),
        (
            ("Wireless Earbuds", 40, 250),
            ("Over-Ear Headphones", 70, 380),
            ("Bluetooth Speaker", 30, 220),
            ("Turntable", 120, 600),
            ("Soundbar", 150, 700),
            ("Portable Radio", 30, 120),
            ("DAC Amplifier", 80, 350),
            ("Bookshelf Speakers", 120, 650),
            ("Headphone Stand", 15, 45),
            ("Smart Speaker", 50, 200),
            ("Vinyl Cleaning Kit", 15, 40),
            ("Studio Monitor", 120, 400),
        ),
        ("Black", "White", "Walnut", "Midnight Blue", "Silver", "Mk II", "Pro", "Mini"),
    ),
    Category(
        "Stationery",
        "STA",
        ("Papelaria Lusa", "Inkwell & Co.", "Notabene", "Kami"),
        (
            ("Dot Grid Notebook A5", 10, 28),
            ("Fountain Pen", 18, 160),
            ("Ink Bottle 50 ml", 8, 22),
            ("Desk Planner", 14, 35),
            ("Gel Pens, 10 Pack", 8, 18),
            ("Leather Journal", 25, 70),
            ("Washi Tape Set", 6, 18),
            ("Sketchbook A4", 9, 26),
            ("Brass Ruler", 12, 30),
            ("Pencil Case", 10, 35),
            ("Letter Paper Set", 10, 24),
            ("Desk Organiser", 20, 60),
        ),
        ("Black", "Navy", "Forest Green", "Burgundy", "Kraft", "Blush", "Fine", "Medium"),
    ),
    Category(
        "Bath & Body",
        "BAT",
        ("Alma Botânica", "Nordic Bloom", "Savon Clair", "Hanami"),
        (
            ("Olive Oil Soap", 4, 12),
            ("Hand Cream 75 ml", 8, 24),
            ("Body Lotion 250 ml", 12, 35),
            ("Shampoo Bar", 8, 16),
            ("Bath Salts 500 g", 12, 30),
            ("Scented Candle", 15, 45),
            ("Lip Balm", 4, 10),
            ("Face Serum 30 ml", 20, 75),
            ("Shower Gel", 6, 18),
            ("Bamboo Toothbrush, 4 Pack", 6, 14),
            ("Hair Oil", 14, 40),
            ("Gift Box", 30, 90),
        ),
        ("Lavender", "Fig", "Sea Salt", "Cedar", "Orange Blossom", "Unscented", "Rose", "Eucalyptus"),
    ),
    Category(
        "Kids & Toys",
        "KID",
        ("Tiny Forest", "Brinquedo", "Kleine Welt", "Playhaven"),
        (
            ("Wooden Blocks", 20, 60),
            ("Puzzle, 100 Pieces", 10, 25),
            ("Plush Bear", 15, 45),
            ("Balance Bike", 60, 160),
            ("Building Set", 25, 120),
            ("Picture Book", 8, 22),
            ("Play Kitchen", 70, 220),
            ("Art Kit", 15, 45),
            ("Wooden Train Set", 35, 140),
            ("Stacking Rings", 10, 25),
            ("Family Board Game", 20, 50),
            ("Kite", 15, 40),
        ),
        ("Rainbow", "Natural", "Ocean", "Safari", "Forest", "Space", "Junior", "Deluxe"),
    ),
    Category(
        "Fitness",
        "FIT",
        ("Pulso", "Kraftwerk", "Motion Lab", "Stride"),
        (
            ("Yoga Mat", 20, 90),
            ("Adjustable Dumbbells", 80, 350),
            ("Resistance Bands", 12, 40),
            ("Foam Roller", 15, 45),
            ("Jump Rope", 8, 25),
            ("Kettlebell 12 kg", 30, 80),
            ("Running Belt", 15, 35),
            ("Fitness Tracker", 50, 250),
            ("Pull-Up Bar", 25, 70),
            ("Gym Bag", 30, 90),
            ("Exercise Ball", 15, 40),
            ("Massage Gun", 60, 220),
        ),
        ("Black", "Ocean", "Coral", "Graphite", "Lime", "Light", "Medium", "Heavy"),
    ),
)


@dataclass(frozen=True)
class ProductSpec:
    sku: str
    external_id: str
    name: str
    category: str
    brand: str
    price: Decimal
    is_active: bool
    # How often it is bought relative to the others in its category.
    popularity: float


def _price(rng: random.Random, low: int, high: int) -> Decimal:
    """A shop price: log-uniform in the item's range, ending in .99, .95, .90 or .00."""
    raw = math.exp(rng.uniform(math.log(low), math.log(high)))
    whole = max(1, int(raw))
    cents = rng.choice((99, 99, 99, 95, 90, 0)) if whole < 100 else rng.choice((0, 0, 99, 90))
    return Decimal(f"{whole}.{cents:02d}")


def make_catalogue(count: int, rng: random.Random) -> list[ProductSpec]:
    """count products spread evenly over the categories, every (brand, item, variant) used once."""
    products: list[ProductSpec] = []
    per_category = [
        count // len(CATEGORIES) + (1 if i < count % len(CATEGORIES) else 0) for i in range(len(CATEGORIES))
    ]
    for category, wanted in zip(CATEGORIES, per_category, strict=True):
        combos = [
            (item, brand, variant)
            for item in category.items
            for brand in category.brands
            for variant in category.variants
        ]
        rng.shuffle(combos)
        brand_factor = {brand: rng.uniform(0.85, 1.3) for brand in category.brands}
        for rank in range(wanted):
            (item, low, high), brand, variant = combos[rank % len(combos)]
            edition = f" ({rank // len(combos) + 1})" if rank >= len(combos) else ""
            serial = len(products) + 1
            factor = brand_factor[brand]
            products.append(
                ProductSpec(
                    sku=f"{category.code}-{serial:05d}",
                    external_id=f"prod_{serial:06d}",
                    name=f"{brand} {item}, {variant}{edition}",
                    category=category.name,
                    brand=brand,
                    price=_price(rng, max(1, round(low * factor)), max(2, round(high * factor))),
                    # A few are discontinued but still in old orders and wishlists.
                    is_active=rng.random() > 0.04,
                    popularity=1.0 / (rank + 1) ** 0.8,
                )
            )
    return products
