"""Records, their formats, validation and storage: everything about metadata and nothing about HTTP."""
