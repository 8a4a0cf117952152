"""Read-side aggregates of insights for pages, charts, CSV exports and the API, scoped to who asks."""
