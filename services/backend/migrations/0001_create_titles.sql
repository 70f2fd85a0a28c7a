-- The catalog: one row per title. id is server-assigned; (lower(title), year) is unique.
CREATE TABLE titles (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title text NOT NULL CHECK (length(btrim(title)) BETWEEN 1 AND 200),
    year integer NOT NULL CHECK (year BETWEEN 1878 AND 2100),
    genres text[] NOT NULL DEFAULT '{}',
    duration_minutes integer NOT NULL CHECK (duration_minutes BETWEEN 1 AND 1000),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX titles_title_year_key ON titles (lower(title), year);
-- Keyset pagination walks (lower(title), id).
CREATE INDEX titles_sort_idx ON titles (lower(title), id);
