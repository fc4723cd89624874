CREATE TABLE "scored_outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"item_ids" text[] NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
-- Items stored before this migration whose scored event was not published yet stay pending, as one outbox row.
INSERT INTO "scored_outbox" ("item_ids") SELECT array_agg("id" ORDER BY "id") FROM "items" WHERE NOT "scored_published" HAVING count(*) > 0;
--> statement-breakpoint
ALTER TABLE "items" DROP COLUMN "scored_published";