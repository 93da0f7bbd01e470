"""The ballot ledger: a per-meeting append-only Merkle log (RFC 6962 shape) with signed checkpoints."""
