DROP INDEX "mentions_entity_time_idx";--> statement-breakpoint
ALTER TABLE "entity_mentions" ADD COLUMN "sentiment" text;--> statement-breakpoint
ALTER TABLE "entity_mentions" ADD COLUMN "sentiment_score" real;--> statement-breakpoint
ALTER TABLE "entity_mentions" ADD COLUMN "confidence" real;--> statement-breakpoint
ALTER TABLE "entity_mentions" ADD COLUMN "topic" text;--> statement-breakpoint
ALTER TABLE "entity_mentions" ADD COLUMN "model_version" text;--> statement-breakpoint
ALTER TABLE "entity_mentions" ADD COLUMN "scored_at" timestamp with time zone;--> statement-breakpoint
-- Backfill (custom SQL, not generated): copy each item's newest score (latest scored_at, the row persistScored
-- keeps the copy in step with) into its mentions. It runs once, at upgrade, inside the migration's transaction, so
-- entity_mentions stays locked until it commits (scorers and entity reads wait): the whole migration took 24 s on
-- bench:api's 1.5 M mentions / 1 M scores, 2 cores. Every row gets a new version, so the table holds ~2x its size
-- until autovacuum reclaims it; on a large database run `VACUUM (ANALYZE) entity_mentions` after upgrading so the
-- series reads are index-only scans at once. The index is built after the backfill, from the filled rows.
UPDATE "entity_mentions" em
   SET "sentiment" = s."sentiment", "sentiment_score" = s."sentiment_score", "confidence" = s."confidence", "topic" = s."topic",
       "model_version" = s."model_version", "scored_at" = s."scored_at"
  FROM (SELECT DISTINCT ON ("item_id") "item_id", "sentiment", "sentiment_score", "confidence", "topic", "model_version", "scored_at"
          FROM "scores" ORDER BY "item_id", "scored_at" DESC, "model_version" DESC) s
 WHERE em."item_id" = s."item_id";--> statement-breakpoint
CREATE INDEX "mentions_entity_time_score_idx" ON "entity_mentions" USING btree ("entity_key","published_at","sentiment","sentiment_score","confidence","topic");