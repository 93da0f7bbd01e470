"""Committee approvals: one definition of the committee and its majority for every decision."""
