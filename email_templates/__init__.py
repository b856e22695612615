"""What a tenant's transactional emails say: built-in texts in the users' languages, the
tenant's own overrides (sandboxed Liquid), brand settings, history, previews."""
