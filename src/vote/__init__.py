"""vote: e-voting and deliberation for owners' assemblies (业主大会)."""

__version__ = "0.1.0"
