"""Countdown: combine the given numbers with + - * / into the target (the APR / Stream-of-Search task)."""
