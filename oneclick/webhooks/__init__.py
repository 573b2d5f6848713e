"""Webhooks for integrations: members' endpoints, signed (Standard Webhooks) deliveries through the task queue."""
