"""The search pages (/search) and the services API (/api/v1/services) over ``search``."""
