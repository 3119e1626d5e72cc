"""Offline and developer-only tools: the webhook never imports these."""
