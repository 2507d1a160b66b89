"""The demo data set: believable organisations in three regions, as plain data.

Organisation names are invented. Each location is given by an outward code; the demo
builder picks a real postcode in that district from the postcode table.
"""

from __future__ import annotations

from typing import Any

# (service name, summary, need codes, other Service fields)
ServiceEntry = tuple[str, str, list[str], dict[str, Any]]

REGIONS = {
    "London": ["SE1", "E1", "N1", "SW9", "E15", "NW1", "W12", "SE15", "N17", "E8"],
    "Greater Manchester": ["M1", "M4", "M8", "M13", "M15", "M40", "OL1", "BL1", "SK1", "WN1"],
    "West Midlands": ["B1", "B6", "B10", "B23", "CV1", "WV1", "WS1", "DY1", "B70", "B33"],
}

# name, description, [(service name, summary, needs, extra fields)], hidden_location
ORGANISATIONS: list[tuple[str, str, list[ServiceEntry], bool]] = [
    (
        "Open Door Housing Trust",
        "Finds and keeps homes for people leaving prison and on probation.",
        [
            (
                "Through the Gate housing advice",
                "Housing advice before and after release.",
                ["accommodation.homeless", "accommodation.approved_premises_move_on"],
                {"cjs_stages": ["custody", "licence"], "capacity": 12, "waiting_days": 5},
            ),
            (
                "Tenancy sustainment",
                "Keeps people in their tenancy.",
                ["accommodation.tenancy_support", "finance.debt"],
                {"capacity": 20, "waiting_days": 10},
            ),
        ],
        False,
    ),
    (
        "New Leaf Recovery",
        "Peer-led recovery from drugs and alcohol.",
        [
            (
                "Recovery community drop-in",
                "Daily peer support groups.",
                ["drugs_alcohol.recovery_community", "drugs_alcohol.alcohol"],
                {"capacity": None, "waiting_days": 0},
            ),
            (
                "Structured day programme",
                "Twelve-week programme.",
                ["drugs_alcohol.drugs", "health.mental_health"],
                {"capacity": 8, "waiting_days": 21, "min_age": 18},
            ),
        ],
        False,
    ),
    (
        "Working Chance Futures",
        "Employment support for people with convictions.",
        [
            (
                "Job ready coaching",
                "CVs, disclosure and interview coaching.",
                ["ete.employment", "ete.disclosure"],
                {"capacity": 30, "waiting_days": 7, "delivery_modes": ["in_person", "remote"]},
            )
        ],
        False,
    ),
    (
        "Safe Haven Women's Refuge",
        "Refuge and outreach for women experiencing domestic abuse.",
        [
            (
                "Refuge accommodation",
                "Safe accommodation for women and children.",
                ["women.domestic_abuse", "accommodation.homeless"],
                {
                    "genders": ["female"],
                    "capacity": 6,
                    "waiting_days": 2,
                    "risk_levels": ["low", "medium", "high"],
                },
            ),
            (
                "Domestic abuse outreach",
                "Community outreach and safety planning.",
                ["women.domestic_abuse"],
                {"genders": ["female"], "capacity": None, "delivery_modes": ["outreach", "remote"]},
            ),
        ],
        True,
    ),
    (
        "Mind the Gap Wellbeing",
        "Mental health support in the community.",
        [
            (
                "Talking therapies for people on probation",
                "Short-term counselling.",
                ["health.mental_health"],
                {
                    "capacity": 15,
                    "waiting_days": 28,
                    "delivery_modes": ["in_person", "remote"],
                    "languages": ["en", "pl"],
                },
            )
        ],
        False,
    ),
    (
        "Families Together",
        "Keeps families connected through a sentence.",
        [
            (
                "Family contact support",
                "Visits, letters and family days.",
                ["family.family_contact", "family.parenting"],
                {"capacity": None, "waiting_days": 3},
            )
        ],
        False,
    ),
    (
        "Money Sense Advice",
        "Free benefits and debt advice.",
        [
            (
                "Benefits and debt clinic",
                "One-to-one advice sessions.",
                ["finance.benefits", "finance.debt", "finance.banking"],
                {"capacity": 40, "waiting_days": 4, "delivery_modes": ["in_person", "remote"]},
            )
        ],
        False,
    ),
    (
        "Turning Point Mentors",
        "Mentoring by people with lived experience.",
        [
            (
                "One-to-one mentoring",
                "A mentor for six months.",
                ["attitudes.mentoring", "ete.training"],
                {"capacity": 10, "waiting_days": 14, "offence_exclusions": ["sexual", "arson"]},
            )
        ],
        False,
    ),
    (
        "Women's Centre Network",
        "A safe space and support for women in the justice system.",
        [
            (
                "Women's centre support",
                "Key work, groups and advocacy.",
                ["women.womens_centre", "health.mental_health", "women.sex_work"],
                {
                    "genders": ["female"],
                    "capacity": 25,
                    "waiting_days": 6,
                    "cjs_stages": ["out_of_court", "community_order", "licence"],
                },
            )
        ],
        False,
    ),
    (
        "Youth Futures Project",
        "Diversion and support for young people.",
        [
            (
                "Youth diversion programme",
                "Eight sessions for 10 to 17 year olds.",
                ["youth.diversion", "youth.exploitation"],
                {
                    "min_age": 10,
                    "max_age": 17,
                    "capacity": 12,
                    "cjs_stages": ["out_of_court", "pre_charge"],
                },
            ),
            (
                "Victim support for young people",
                "Emotional and practical support.",
                ["victims.emotional_support"],
                {"min_age": 10, "max_age": 25, "cjs_stages": ["victim"], "capacity": None},
            ),
        ],
        False,
    ),
]

AGENCIES = [
    ("London Probation Service — Southwark", "probation_region", "London"),
    ("Metropolitan Police — Out of Court Resolutions", "police_force", "London"),
    ("Greater Manchester Probation Service", "probation_region", "Greater Manchester"),
    ("West Midlands Youth Justice Service", "youth_offending_team", "West Midlands"),
]
