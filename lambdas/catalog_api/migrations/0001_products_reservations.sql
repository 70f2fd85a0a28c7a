-- Products, the reservations taken against them, and the idempotency record that makes a retried
-- reservation return its first result. Stock is guarded twice: the service's conditional UPDATE
-- (stock >= quantity) and this CHECK, so no code path can ever store a negative stock.
CREATE TABLE products (
    sku        text PRIMARY KEY CHECK (sku ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    price      numeric(12, 2) NOT NULL CHECK (price >= 0),
    stock      integer NOT NULL CHECK (stock >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reservations (
    id          uuid PRIMARY KEY,
    sku         text NOT NULL REFERENCES products (sku),
    quantity    integer NOT NULL CHECK (quantity > 0),
    stock_after integer NOT NULL CHECK (stock_after >= 0),
    session_id  text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reservations_sku_idx ON reservations (sku);

-- One row per Idempotency-Key. Written in the same statement (hence transaction) as the stock
-- UPDATE: the key's unique index is what turns a concurrent duplicate into a rollback.
CREATE TABLE idempotency_keys (
    key            text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 255),
    request_hash   text NOT NULL,
    status         smallint NOT NULL,
    reservation_id uuid REFERENCES reservations (id),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);
