"""Cross-cutting helpers: security, sessions, i18n, errors, masking, templating."""
