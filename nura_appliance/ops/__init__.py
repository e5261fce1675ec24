"""Operations: backups, exports, retention, support bundles, metrics and structured logs."""
