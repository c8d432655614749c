"""Verification for employers at scale (issue 17): API keys issued by an administrator, the JSON
API that answers like the verify page, and the Excel check of a whole sheet of numbers and names."""
