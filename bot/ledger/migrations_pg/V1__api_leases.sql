-- Images in flight at the image API across every process of the deployment ([ideogram] max_concurrency).
-- One row per request: waiting (granted = false, a ticket in the queue, served in id order) or granted (a
-- lease). The process that owns a row renews expires_at while it lives; a row past it belongs to a process
-- that died, and whichever process looks next deletes it, which frees its images.
CREATE TABLE api_leases (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    instance_id text NOT NULL,
    owner       text NOT NULL,
    weight      integer NOT NULL CHECK (weight > 0),
    granted     boolean NOT NULL DEFAULT false,
    expires_at  timestamptz NOT NULL
);

CREATE INDEX api_leases_owner ON api_leases (owner);
