"""Inbound connection requests: the visitor's request form, the owner's inbox, connections and blocks."""
