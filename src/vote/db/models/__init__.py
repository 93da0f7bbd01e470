"""All models, imported here so that ``Base.metadata`` knows every table (Alembic relies on it)."""

from vote.db.base import Base
from vote.db.models.accounts import Account, RecoveryCode, Role, WebSession
from vote.db.models.audit import AuditEvent
from vote.db.models.ballots import Ballot
from vote.db.models.community import Building, Community
from vote.db.models.meetings import Meeting, Motion, MotionRevision
from vote.db.models.register import Member, Person, RegisterVersion, Unit, UnitOwner

__all__ = [
    "Account",
    "AuditEvent",
    "Ballot",
    "Base",
    "Building",
    "Community",
    "Meeting",
    "Member",
    "Motion",
    "MotionRevision",
    "Person",
    "RecoveryCode",
    "RegisterVersion",
    "Role",
    "Unit",
    "UnitOwner",
    "WebSession",
]
