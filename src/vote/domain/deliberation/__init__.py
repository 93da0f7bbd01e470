"""Deliberation: discussion of motions, amendments and objections, owners' proposals, moderation."""
