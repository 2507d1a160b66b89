"""Import every model so that SQLAlchemy's registry and Alembic see the whole schema."""

from marketplace.accounts.models import ApiToken, Role, User, commissioner_area
from marketplace.agencies.models import Agency, AgencyKind
from marketplace.audit.models import AuditEvent
from marketplace.directory.models import (
    ImportKind,
    ImportRun,
    Location,
    Service,
    ServiceStatus,
    ServiceVersion,
)
from marketplace.geography.models import Area, AreaKind, OutwardCode, Postcode
from marketplace.notifications.models import Channel, OutboxMessage, OutboxStatus
from marketplace.organisations.models import (
    Invitation,
    Membership,
    MembershipRole,
    Organisation,
    VerificationStatus,
)
from marketplace.people.models import AssessedNeed, AssessmentStatus, NeedsAssessment, Person
from marketplace.referrals.models import (
    Appointment,
    ComplianceAlert,
    Feedback,
    Message,
    PersonLink,
    Referral,
    ReferralEvent,
    ReferralState,
    ReminderSent,
)
from marketplace.taxonomy.models import Need, NeedGroup
from search.models import IndexOutbox, ServiceSearch, ServiceSearchPending, ServiceSearchPoint

__all__ = [
    "ApiToken",
    "Agency",
    "AgencyKind",
    "Appointment",
    "Area",
    "AreaKind",
    "AssessedNeed",
    "AssessmentStatus",
    "AuditEvent",
    "Channel",
    "ComplianceAlert",
    "Feedback",
    "ImportKind",
    "ImportRun",
    "IndexOutbox",
    "Invitation",
    "Location",
    "Membership",
    "MembershipRole",
    "Message",
    "Need",
    "NeedGroup",
    "NeedsAssessment",
    "Organisation",
    "OutboxMessage",
    "OutboxStatus",
    "OutwardCode",
    "Person",
    "PersonLink",
    "Postcode",
    "Referral",
    "ReferralEvent",
    "ReferralState",
    "ReminderSent",
    "Role",
    "Service",
    "ServiceSearch",
    "ServiceSearchPending",
    "ServiceSearchPoint",
    "ServiceStatus",
    "ServiceVersion",
    "User",
    "VerificationStatus",
    "commissioner_area",
]
