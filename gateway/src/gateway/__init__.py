"""The gateway: the only HTTP entry for frontends."""
