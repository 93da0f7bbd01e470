"""Platform operator pages: communities and their settings, committee and observer roles."""
