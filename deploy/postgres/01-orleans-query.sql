-- Switchboard's PostgreSQL schema for the Orleans ADO.NET providers (clustering, grain storage, reminders).
-- The Orleans packages ship no SQL: each provider reads its statements by key from the OrleansQuery table and runs
-- them with named parameters (@DeploymentId, @GrainIdHash, ...). These files are the project's own, applied in name
-- order by scripts/services.sh and by the postgres image's /docker-entrypoint-initdb.d. Every statement is idempotent:
-- tables are created if missing and query texts are replaced, so applying a newer version upgrades in place.

-- Orleans runs "SELECT QueryKey, QueryText FROM OrleansQuery"; unquoted names fold to lower case on both sides.
CREATE TABLE IF NOT EXISTS orleansquery
(
    querykey  varchar(64) PRIMARY KEY,
    querytext text        NOT NULL
);

-- Which versions of these files a database has seen (bump the number in the file that changes).
CREATE TABLE IF NOT EXISTS switchboard_schema
(
    part       varchar(32) NOT NULL,
    version    integer     NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (part, version)
);

INSERT INTO switchboard_schema (part, version) VALUES ('orleans-query', 1) ON CONFLICT DO NOTHING;
