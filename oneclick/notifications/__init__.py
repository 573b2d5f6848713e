"""Notifications: the in-app events page, acceptance mails and warnings before a link stops working."""
