-- Retrieval by embeddings, and lookup of the documents a job brought inline.
-- Vectors stay in kb_passages.embedding (real[]); this adds the model that produced
-- each one, so that changing EMBEDDINGS_MODEL re-embeds instead of mixing spaces.

ALTER TABLE kb_passages ADD COLUMN embedding_model text;

-- Cosine similarity of two vectors of equal, non-zero length; NULL otherwise, or when
-- either has zero norm. Computed in double precision from the stored reals.
CREATE FUNCTION cv_cosine_similarity(a real[], b real[]) RETURNS double precision
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN cardinality(a) = cardinality(b) AND cardinality(a) > 0 THEN
        (SELECT sum(x::float8 * y::float8)
                / NULLIF(sqrt(sum(x::float8 * x::float8)) * sqrt(sum(y::float8 * y::float8)), 0)
           FROM unnest(a, b) AS t(x, y))
    END
$$;

-- Inline documents are found by job; defaults by the partial unique index on kind.
CREATE INDEX kb_documents_job_idx ON kb_documents (job_id) WHERE job_id IS NOT NULL;
