-- Uploads, jobs, results and the knowledge base.
-- Applied once by `cvctl migrate`, which records it in schema_migrations.

CREATE TABLE uploads (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind         text NOT NULL CHECK (kind IN ('cv', 'project')),
    filename     text NOT NULL,                -- sanitised client name, metadata only
    media_type   text NOT NULL CHECK (media_type IN (
                     'application/pdf',
                     'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
                     'text/plain',
                     'text/markdown')),
    size_bytes   bigint NOT NULL CHECK (size_bytes > 0),
    page_count   integer CHECK (page_count IS NULL OR page_count > 0),
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    text_content text NOT NULL CHECK (text_content <> ''),
    request_id   text,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE jobs (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    status           text NOT NULL DEFAULT 'queued'
                     CHECK (status IN ('queued', 'processing', 'completed', 'failed')),
    cv_id            uuid NOT NULL REFERENCES uploads (id),
    project_id       uuid NOT NULL REFERENCES uploads (id),
    -- Optional inline texts; NULL means the default knowledge base.
    job_title        text,
    job_description  text,
    study_case_brief text,
    scoring_rubric   text,
    idempotency_key  text UNIQUE,
    request_sha256   text,                     -- of the canonical request, for key reuse checks
    request_id       text,
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    claim_token      uuid,                     -- fences a run: only its holder may finish it
    worker_id        text,
    heartbeat_at     timestamptz,
    enqueued_at      timestamptz,              -- when the broker confirmed the wake-up message
    error_code       text,
    error_message    text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    started_at       timestamptz,
    finished_at      timestamptz,
    CHECK ((status = 'failed') = (error_code IS NOT NULL)),
    CHECK ((status = 'processing') = (claim_token IS NOT NULL))
);

-- The sweeper's two scans: stranded queued jobs and processing jobs whose worker died.
CREATE INDEX jobs_queued_created_idx ON jobs (created_at) WHERE status = 'queued';
CREATE INDEX jobs_processing_heartbeat_idx ON jobs (heartbeat_at) WHERE status = 'processing';

CREATE TABLE results (
    job_id     uuid PRIMARY KEY REFERENCES jobs (id),
    result     jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE kb_documents (
    id         text PRIMARY KEY,               -- 'default/job_description', 'job/<uuid>/...'
    kind       text NOT NULL
               CHECK (kind IN ('job_description', 'case_study_brief', 'scoring_rubric')),
    title      text NOT NULL,
    body       text NOT NULL,
    sha256     text NOT NULL,
    is_default boolean NOT NULL DEFAULT false,
    job_id     uuid REFERENCES jobs (id) ON DELETE CASCADE,
    loaded_at  timestamptz NOT NULL DEFAULT now()
);

-- At most one default document per kind.
CREATE UNIQUE INDEX kb_documents_default_kind_idx ON kb_documents (kind) WHERE is_default;

CREATE TABLE kb_passages (
    id          bigserial PRIMARY KEY,
    document_id text NOT NULL REFERENCES kb_documents (id) ON DELETE CASCADE,
    ordinal     integer NOT NULL,
    section     text NOT NULL,
    weight      real NOT NULL DEFAULT 1 CHECK (weight > 0),
    body        text NOT NULL,
    tsv         tsvector GENERATED ALWAYS AS
                (to_tsvector('english', section || ' ' || body)) STORED,
    embedding   real[],
    UNIQUE (document_id, ordinal)
);

CREATE INDEX kb_passages_tsv_idx ON kb_passages USING gin (tsv);
