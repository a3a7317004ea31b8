"""Sending texts: the outbox, backends, opt-outs, the words of replies and the SMS grammar.

Texts coming in are handled by the `timebank.texting` edge, which uses this package.
"""
