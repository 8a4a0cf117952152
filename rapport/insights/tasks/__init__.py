"""Background work of insights, one module per area; each task takes ids or nothing and is idempotent."""
