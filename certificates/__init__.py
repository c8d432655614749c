"""Results publication, certificates, rendering and public verification."""
