"""engagebot runtime: config, wiring, CLI and the platform adapters."""
