"""The OAI-PMH 2.0 protocol and nothing else: no Flask, no concrete store.

`respond(args, repository)` turns a request's arguments into a stream of response bytes, raising OAIError
for every error condition of §3.6; the web layer renders those through the same envelope.
"""
