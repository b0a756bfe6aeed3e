-- noqa: disable=all
-- The two tables and five indexes of the notifications design guide notifydb
-- grew from ("the seed"; its sections 3.1 and 4.1), copied verbatim: the
-- baseline the benchmark compares notifydb against. The loader runs this
-- with search_path = seed, so the unqualified names land in schema seed.
-- Lint is off for this file: its style is the seed's, on purpose.

CREATE TABLE notifications (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),

    -- Scope
    user_id UUID,                         -- Recipient user (nullable for tenant)
    tenant_id UUID NOT NULL,

    -- Semantics
    type VARCHAR(100) NOT NULL,           -- e.g. CAMPAIGN_COMPLETED, QUOTA_WARNING
    title TEXT NOT NULL,
    message TEXT NOT NULL,
    channel VARCHAR(20) CHECK (channel IN ('in_app', 'email', 'push')),

    -- State
    is_read BOOLEAN DEFAULT FALSE,
    created_at TIMESTAMPTZ DEFAULT NOW(),
    read_at TIMESTAMPTZ,
    expires_at TIMESTAMPTZ,
    deleted_at TIMESTAMPTZ
);

CREATE INDEX idx_notifications_user_tenant_created
    ON notifications(user_id, tenant_id, created_at DESC);

CREATE INDEX idx_notifications_unread
    ON notifications(user_id, tenant_id, is_read, created_at DESC)
    WHERE is_read = false;

CREATE TABLE admin_system_events (
    id BIGINT PRIMARY KEY GENERATED ALWAYS AS IDENTITY,

    created_at TIMESTAMPTZ DEFAULT NOW(),

    event_type TEXT NOT NULL,         -- e.g. incident_opened, quota_reached, job_failure
    severity TEXT NOT NULL,           -- low, medium, high, critical
    description TEXT NOT NULL,        -- human-readable summary
    details JSONB,                    -- structured context (bounded)

    tenant_id UUID,                   -- optional: affected tenant
    user_id UUID,                     -- optional: related actor

    is_resolved BOOLEAN DEFAULT FALSE,
    resolved_at TIMESTAMPTZ,
    resolved_by UUID
);

CREATE INDEX idx_admin_system_events_created
    ON admin_system_events(created_at DESC);

CREATE INDEX idx_admin_system_events_tenant
    ON admin_system_events(tenant_id, created_at DESC);

CREATE INDEX idx_admin_system_events_severity
    ON admin_system_events(severity, created_at DESC);
