-- Grain state (Microsoft.Orleans.Persistence.AdoNet, ProviderType AdoNet, Invariant Npgsql).
--
-- The contract: a grain is identified by its service, type and id; the provider also sends 32-bit hashes of the id
-- and the type so a lookup can start on integers. Each row carries a version that is the grain's ETag: a write names
-- the version it read (@GrainStateVersion, null for a grain never written) and gets the next one back, or nothing
-- when someone else wrote in between (the provider then throws InconsistentStateException). The state itself is an
-- opaque payload (Switchboard has Orleans store it in its own binary format; see src/Switchboard.Silo/Hosting).

CREATE TABLE IF NOT EXISTS orleans_storage
(
    service_id         varchar(150) NOT NULL,
    grain_type_hash    integer      NOT NULL,
    grain_id_hash      integer      NOT NULL,
    grain_id_n0        bigint       NOT NULL,
    grain_id_n1        bigint       NOT NULL,
    grain_type         varchar(512) NOT NULL,
    grain_id_extension varchar(512),
    payload            bytea,
    version            integer      NOT NULL,
    modified_at        timestamptz  NOT NULL DEFAULT now()
);

-- One row per grain, even when two activations race to write first (possible for a moment after a silo dies).
CREATE UNIQUE INDEX IF NOT EXISTS orleans_storage_grain
    ON orleans_storage (service_id, grain_type_hash, grain_id_hash, grain_id_n0, grain_id_n1, grain_type, grain_id_extension)
    NULLS NOT DISTINCT;

INSERT INTO orleansquery (querykey, querytext) VALUES
('ReadFromStorageKey', $sql$
SELECT payload AS "PayloadBinary", version AS "Version"
FROM orleans_storage
WHERE service_id = @ServiceId
  AND grain_type_hash = @GrainTypeHash AND grain_id_hash = @GrainIdHash
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_type = @GrainTypeString
  AND grain_id_extension IS NOT DISTINCT FROM CAST(@GrainIdExtensionString AS varchar);
$sql$),

-- First write inserts version 1; later writes replace the payload only from the version the grain holds.
('WriteToStorageKey', $sql$
WITH replaced AS (
    UPDATE orleans_storage
    SET payload = @PayloadBinary, version = version + 1, modified_at = now()
    WHERE CAST(@GrainStateVersion AS integer) IS NOT NULL
      AND service_id = @ServiceId
      AND grain_type_hash = @GrainTypeHash AND grain_id_hash = @GrainIdHash
      AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
      AND grain_type = @GrainTypeString
      AND grain_id_extension IS NOT DISTINCT FROM CAST(@GrainIdExtensionString AS varchar)
      AND version = @GrainStateVersion
    RETURNING version),
created AS (
    INSERT INTO orleans_storage (service_id, grain_type_hash, grain_id_hash, grain_id_n0, grain_id_n1, grain_type,
                                 grain_id_extension, payload, version)
    SELECT @ServiceId, @GrainTypeHash, @GrainIdHash, @GrainIdN0, @GrainIdN1, @GrainTypeString,
           @GrainIdExtensionString, @PayloadBinary, 1
    WHERE CAST(@GrainStateVersion AS integer) IS NULL
    ON CONFLICT DO NOTHING
    RETURNING version)
SELECT version AS "NewGrainStateVersion" FROM replaced
UNION ALL
SELECT version FROM created;
$sql$),

-- Clearing keeps the row and moves the version on, so a stale activation still cannot write over the clear.
('ClearStorageKey', $sql$
UPDATE orleans_storage
SET payload = NULL, version = version + 1, modified_at = now()
WHERE service_id = @ServiceId
  AND grain_type_hash = @GrainTypeHash AND grain_id_hash = @GrainIdHash
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_type = @GrainTypeString
  AND grain_id_extension IS NOT DISTINCT FROM CAST(@GrainIdExtensionString AS varchar)
  AND version = @GrainStateVersion
RETURNING version;
$sql$),

-- Used instead of ClearStorageKey when DeleteStateOnClear is set. The provider wants a value different from the
-- version it sent, and none at all when the version did not match.
('DeleteStorageKey', $sql$
DELETE FROM orleans_storage
WHERE service_id = @ServiceId
  AND grain_type_hash = @GrainTypeHash AND grain_id_hash = @GrainIdHash
  AND grain_id_n0 = @GrainIdN0 AND grain_id_n1 = @GrainIdN1
  AND grain_type = @GrainTypeString
  AND grain_id_extension IS NOT DISTINCT FROM CAST(@GrainIdExtensionString AS varchar)
  AND version = @GrainStateVersion
RETURNING version + 1;
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

INSERT INTO switchboard_schema (part, version) VALUES ('persistence', 1) ON CONFLICT DO NOTHING;
