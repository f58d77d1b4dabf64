"""Models of the site plumbing (none yet; the roles are Django groups, see core.roles).

The module exists so that migrate sends post_migrate for this app, which sets up the roles.
"""
