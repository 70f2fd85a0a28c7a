"""Development tooling for the backend (not shipped in the image): a throwaway local PostgreSQL."""
