"""The social channel: direct messages become conversations; public mentions wait on a staff page."""
