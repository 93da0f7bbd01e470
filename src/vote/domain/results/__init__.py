"""Results: closing a meeting, deciding its motions, publishing and checking the result."""
