"""Demo data for trying Rapport: a believable store, its staff, customers, orders and timelines."""
