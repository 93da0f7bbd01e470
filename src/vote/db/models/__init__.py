"""All models, imported here so that ``Base.metadata`` knows every table (Alembic relies on it)."""

from vote.db.base import Base
from vote.db.models.accounts import Account, RecoveryCode, Role, WebSession
from vote.db.models.audit import AuditEvent
from vote.db.models.ballots import Ballot, PaperBallotEntry
from vote.db.models.community import Building, Community
from vote.db.models.decisions import Approval, BallotSelection, MotionOption, MotionResult
from vote.db.models.deliberation import (
    Amendment,
    DiscussionPost,
    Notification,
    NotificationPreference,
    Proposal,
    ProposalSupport,
)
from vote.db.models.identity import ActivationCode, RegisterImport, Verification
from vote.db.models.ledger import LedgerCheckpoint, LedgerHead, LedgerLeaf, SigningKey
from vote.db.models.meetings import Meeting, Motion, MotionRevision
from vote.db.models.register import Member, Person, RegisterVersion, Unit, UnitOwner
from vote.db.models.transfers import VoterTransfer

__all__ = [
    "Account",
    "ActivationCode",
    "Amendment",
    "Approval",
    "AuditEvent",
    "Ballot",
    "BallotSelection",
    "Base",
    "Building",
    "Community",
    "DiscussionPost",
    "LedgerCheckpoint",
    "LedgerHead",
    "LedgerLeaf",
    "Meeting",
    "Member",
    "Motion",
    "MotionOption",
    "MotionResult",
    "MotionRevision",
    "Notification",
    "NotificationPreference",
    "PaperBallotEntry",
    "Person",
    "Proposal",
    "ProposalSupport",
    "RecoveryCode",
    "RegisterImport",
    "RegisterVersion",
    "Role",
    "SigningKey",
    "Unit",
    "UnitOwner",
    "Verification",
    "VoterTransfer",
    "WebSession",
]
