-- Substring search on title (ILIKE '%q%') and the genre filter use GIN indexes.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX titles_title_trgm_idx ON titles USING gin (title gin_trgm_ops);
CREATE INDEX titles_genres_idx ON titles USING gin (genres);
