-- Durable reminders (Microsoft.Orleans.Reminders.AdoNet, ProviderType AdoNet, Invariant Npgsql).
--
-- The contract: a reminder is (service, grain id, name) with a start time and a period in milliseconds; its version
-- is its ETag. Each silo reads the reminders whose grain hash falls in its part of the ring, (@BeginHash, @EndHash]:
-- hashes arrive as signed integers, and a range whose begin is not below its end (in signed order) wraps around.

CREATE TABLE IF NOT EXISTS orleans_reminders
(
    service_id    varchar(150)  NOT NULL,
    grain_id      varchar(1024) NOT NULL,
    reminder_name varchar(150)  NOT NULL,
    start_time    timestamptz   NOT NULL,
    period        bigint        NOT NULL,
    grain_hash    integer       NOT NULL,
    version       integer       NOT NULL,
    PRIMARY KEY (service_id, grain_id, reminder_name)
);

CREATE INDEX IF NOT EXISTS orleans_reminders_ring ON orleans_reminders (service_id, grain_hash);

INSERT INTO orleansquery (querykey, querytext) VALUES
('ReadReminderRowsKey', $sql$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period AS "Period", version AS "Version"
FROM orleans_reminders
WHERE service_id = @ServiceId AND grain_id = @GrainId;
$sql$),

('ReadReminderRowKey', $sql$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period AS "Period", version AS "Version"
FROM orleans_reminders
WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName;
$sql$),

('ReadRangeRows1Key', $sql$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period AS "Period", version AS "Version"
FROM orleans_reminders
WHERE service_id = @ServiceId AND grain_hash > @BeginHash AND grain_hash <= @EndHash;
$sql$),

('ReadRangeRows2Key', $sql$
SELECT grain_id AS "GrainId", reminder_name AS "ReminderName", start_time AS "StartTime",
       period AS "Period", version AS "Version"
FROM orleans_reminders
WHERE service_id = @ServiceId AND (grain_hash > @BeginHash OR grain_hash <= @EndHash);
$sql$),

-- The period arrives as int or bigint depending on its size.
('UpsertReminderRowKey', $sql$
INSERT INTO orleans_reminders (service_id, grain_id, reminder_name, start_time, period, grain_hash, version)
VALUES (@ServiceId, @GrainId, @ReminderName, @StartTime, CAST(@Period AS bigint), @GrainHash, 0)
ON CONFLICT (service_id, grain_id, reminder_name) DO UPDATE
SET start_time = EXCLUDED.start_time,
    period = EXCLUDED.period,
    grain_hash = EXCLUDED.grain_hash,
    version = orleans_reminders.version + 1
RETURNING version AS "Version";
$sql$),

('DeleteReminderRowKey', $sql$
WITH removed AS (
    DELETE FROM orleans_reminders
    WHERE service_id = @ServiceId AND grain_id = @GrainId AND reminder_name = @ReminderName AND version = @Version
    RETURNING 1)
SELECT EXISTS (SELECT 1 FROM removed);
$sql$),

('DeleteReminderRowsKey', $sql$
DELETE FROM orleans_reminders WHERE service_id = @ServiceId;
$sql$)
ON CONFLICT (querykey) DO UPDATE SET querytext = EXCLUDED.querytext;

INSERT INTO switchboard_schema (part, version) VALUES ('reminders', 1) ON CONFLICT DO NOTHING;
