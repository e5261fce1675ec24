"""Background jobs: the one Huey instance, the outbox, webhooks."""
