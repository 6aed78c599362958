"""Plumbing shared by every service, written once: settings, database, transactional outbox,
idempotent inbox, Kafka bus, JWT auth, JSON errors, health endpoints and structured logging."""
