"""Request and response schemas of API version 1, one module per router."""
