"""Ballots: casting online and on paper, one per member and motion, and live turnout."""
