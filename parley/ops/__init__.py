"""Operating Parley: backups, restores and the read-replica router (docs/deploy.md)."""
