"""Display names of the reference codes that matching's reasons mention.

Profiles carry codes ("operational-delivery"); a reason shown to a person uses the
name ("Operational Delivery"). The profile service owns the reference lists
(``profile_service/domain/data/reference.json``); this copy of the profession names
is checked against them by a test, so a renamed or added profession fails the build
rather than showing a code.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

PROFESSION_NAMES: Mapping[str, str] = MappingProxyType(
    {
        "actuarial": "Actuarial",
        "analysis": "Analysis",
        "commercial": "Commercial",
        "communications": "Communications",
        "corporate-finance": "Corporate Finance",
        "counter-fraud": "Counter Fraud",
        "ddat": "Digital, Data and Technology",
        "economics": "Economics",
        "finance": "Finance",
        "geography": "Geography",
        "hr": "Human Resources",
        "inspector-education": "Inspector of Education and Training",
        "intelligence-analysis": "Intelligence Analysis",
        "internal-audit": "Internal Audit",
        "international-trade": "International Trade",
        "kim": "Knowledge and Information Management",
        "legal": "Legal",
        "medical": "Medical",
        "occupational-psychology": "Occupational Psychology",
        "operational-delivery": "Operational Delivery",
        "operational-research": "Operational Research",
        "planning": "Planning",
        "planning-inspectors": "Planning Inspectors",
        "policy": "Policy",
        "project-delivery": "Project Delivery",
        "property": "Property",
        "science-engineering": "Science and Engineering",
        "security": "Security",
        "social-research": "Social Research",
        "statistics": "Statistics",
        "tax": "Tax",
        "veterinary": "Veterinary",
        "other": "Other or none",
    }
)
"""Profession code to display name, as in the profile service's reference list."""
