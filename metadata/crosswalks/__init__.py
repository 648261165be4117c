"""Crosswalks from the MODS master record to the other metadata formats the provider disseminates."""
