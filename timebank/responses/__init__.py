"""What both HTTP edges answer with: problem+json errors and the security headers.

`web` and `api` never import each other; what they share lives here, below both.
"""
