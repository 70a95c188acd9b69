"""What a fit tells its user: callbacks, verbose lines, diagnostics, warnings."""
