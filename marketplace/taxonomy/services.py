"""Loading the needs taxonomy from its data file."""

from __future__ import annotations

import json
from pathlib import Path

from marketplace.extensions import db
from marketplace.taxonomy.models import Need, NeedGroup

NEEDS_FILE = Path(__file__).with_name("needs.json")


def seed_needs() -> int:
    """Insert or update every need in ``needs.json``; returns how many there are.
    Idempotent: running it twice changes nothing the second time."""
    count = 0
    for position, category in enumerate(json.loads(NEEDS_FILE.read_text())):
        db.session.merge(
            Need(
                code=category["code"],
                name=category["name"],
                group=NeedGroup(category["group"]),
                parent_code=None,
                position=position * 100,
            )
        )
        count += 1
        for index, (suffix, name) in enumerate(category["children"], start=1):
            db.session.merge(
                Need(
                    code=f"{category['code']}.{suffix}",
                    name=name,
                    group=NeedGroup(category["group"]),
                    parent_code=category["code"],
                    position=position * 100 + index,
                )
            )
            count += 1
    db.session.flush()
    return count
