"""Demo social mentions: six weeks of posts with a daily rhythm, and a storm in the last day.

The history is written as the social webhook would have stored it (one row per post); it gives the
listening dashboard a volume chart with a baseline and a spike that its detector should find.
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from rapport.channels.models import SocialMention

WEEKS = 6
PLATFORMS = ("x", "instagram", "facebook")

EVERYDAY = [
    "Just got my new boots from @rapportshop, they fit perfectly",
    "Anyone tried the rain jacket from @rapportshop? Thinking of ordering one",
    "@rapportshop how long does delivery to Ireland usually take?",
    "Lovely gift wrapping from @rapportshop, my mum was thrilled",
    "@rapportshop is the autumn sale still on?",
    "Ordered from @rapportshop on Monday, arrived Wednesday. Impressed",
    "Returned a jumper to @rapportshop, refund came in two days. Easy",
    "@rapportshop your customer service sorted my order in minutes, thank you",
    "The walking socks from @rapportshop are the comfiest I own",
    "Waiting on a parcel from @rapportshop, tracking says tomorrow",
    "@rapportshop do you ship to Norway?",
    "Not sure about the colour of the scarf I got from @rapportshop, might exchange it",
]

STORM = [
    "@rapportshop charged me twice for the same order?? Anyone else?",
    "Double charged by @rapportshop, bank shows two payments. Not happy",
    "@rapportshop your checkout took my money twice. Fix this now",
    "Avoid @rapportshop today, their payments are charging people twice",
    "Still no answer from @rapportshop about the double charge. Terrible",
    "@rapportshop I want my money back, charged twice and no reply",
]


def _hourly_rate(at: datetime) -> float:
    """Mentions per hour: quiet at night, busiest in the evening, a little busier at weekends."""
    hour = at.hour + at.minute / 60
    daily = (
        0.15 + 0.85 * math.exp(-(((hour - 19.0) / 4.0) ** 2)) + 0.4 * math.exp(-(((hour - 12.5) / 2.0) ** 2))
    )
    weekend = 1.3 if at.weekday() >= 5 else 1.0
    return 2.2 * daily * weekend


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method: fine for the small means of a demo."""
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def seed_mentions(*, now: datetime, seed: int) -> int:
    """Store the demo's mentions; returns how many. Does nothing when mentions exist already."""
    if SocialMention.objects.exists():
        return 0
    rng = random.Random(f"{seed}-mentions")
    end = now.replace(minute=0, second=0, microsecond=0)
    start = end - timedelta(weeks=WEEKS)
    # Within the last day: the spike check tests the newest 24 hours, so the demo shows a live alert.
    storm_start = end - timedelta(hours=20)
    rows: list[SocialMention] = []
    hour = start
    while hour < end:
        storm = storm_start <= hour < storm_start + timedelta(hours=3)
        count = _poisson(rng, _hourly_rate(hour)) + (_poisson(rng, 14.0) if storm else 0)
        for n in range(count):
            platform = rng.choice(PLATFORMS)
            text = rng.choice(STORM if storm and n % 4 else EVERYDAY)
            posted = hour + timedelta(seconds=rng.randrange(3600))
            handle = f"demo_{rng.randrange(100000):05d}"
            external_id = f"demo-{int(posted.timestamp())}-{len(rows)}"
            rows.append(
                SocialMention(
                    platform=platform,
                    handle=handle,
                    author_name=handle.replace("_", " ").title(),
                    text=text,
                    url=f"https://{platform}.example/{handle}/{external_id}",
                    posted_at=posted,
                    external_id=external_id,
                    reach=rng.choice([40, 120, 350, 900, 2500, 12000]),
                    created_at=posted,
                )
            )
        hour += timedelta(hours=1)
    SocialMention.objects.bulk_create(rows, batch_size=1000)
    return len(rows)
