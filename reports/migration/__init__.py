"""Bringing the city's past years in from the system the portal replaces."""
