"""The event bus: outbox and inbox stores, unit of work, Kafka relay and consumer."""
