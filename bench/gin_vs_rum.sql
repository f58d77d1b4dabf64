-- GIN against RUM on the same 20,000 proposals (docs/performance.md, "GIN or RUM").
-- psql -d tiantrack_bench -f bench/gin_vs_rum.sql   (needs postgresql-15-rum; drops its tables)
\timing on
CREATE EXTENSION IF NOT EXISTS rum;
DROP TABLE IF EXISTS trial_gin, trial_rum;
CREATE TABLE trial_gin AS
    SELECT id, search_vector, replied_on::timestamp AS replied_at
    FROM proposals_proposal WHERE id <= 20000;
ALTER TABLE trial_gin ALTER COLUMN search_vector SET STORAGE EXTERNAL;
CREATE TABLE trial_rum AS SELECT * FROM trial_gin;
SET maintenance_work_mem = '512MB';
CREATE INDEX trial_gin_idx ON trial_gin USING gin (search_vector);
CREATE INDEX trial_rum_idx ON trial_rum
    USING rum (search_vector rum_tsvector_addon_ops, replied_at)
    WITH (attach = 'replied_at', to = 'search_vector');
VACUUM ANALYZE trial_gin;
VACUUM ANALYZE trial_rum;
SELECT pg_size_pretty(pg_relation_size('trial_gin_idx')) AS gin,
       pg_size_pretty(pg_relation_size('trial_rum_idx')) AS rum;

\echo newest 20 of a common word
EXPLAIN ANALYZE SELECT id FROM trial_gin WHERE search_vector @@ '''人才'''::tsquery
    ORDER BY replied_at DESC LIMIT 20;
EXPLAIN ANALYZE SELECT id FROM trial_rum WHERE search_vector @@ '''人才'''::tsquery
    ORDER BY replied_at <=| '2100-01-01' LIMIT 20;
\echo newest 20 of a phrase
EXPLAIN ANALYZE SELECT id FROM trial_gin WHERE search_vector @@ '''口袋'' <-> ''袋公'' <-> ''公园'''::tsquery
    ORDER BY replied_at DESC LIMIT 20;
EXPLAIN ANALYZE SELECT id FROM trial_rum WHERE search_vector @@ '''口袋'' <-> ''袋公'' <-> ''公园'''::tsquery
    ORDER BY replied_at <=| '2100-01-01' LIMIT 20;
\echo 20 best-ranked of a phrase
EXPLAIN ANALYZE SELECT id FROM trial_gin WHERE search_vector @@ '''口袋'' <-> ''袋公'' <-> ''公园'''::tsquery
    ORDER BY ts_rank_cd(search_vector, '''口袋'' <-> ''袋公'' <-> ''公园'''::tsquery) DESC LIMIT 20;
EXPLAIN ANALYZE SELECT id FROM trial_rum WHERE search_vector @@ '''口袋'' <-> ''袋公'' <-> ''公园'''::tsquery
    ORDER BY search_vector <=> '''口袋'' <-> ''袋公'' <-> ''公园'''::tsquery LIMIT 20;
\echo count of a phrase
EXPLAIN ANALYZE SELECT count(*) FROM trial_gin WHERE search_vector @@ '''口袋'' <-> ''袋公'' <-> ''公园'''::tsquery;
EXPLAIN ANALYZE SELECT count(*) FROM trial_rum WHERE search_vector @@ '''口袋'' <-> ''袋公'' <-> ''公园'''::tsquery;
DROP TABLE trial_gin, trial_rum;
