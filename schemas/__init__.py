"""The schema catalog: which official XSD files the provider needs, where they come from, and how they are
loaded offline. The files themselves are never part of the project; see catalog.py."""
