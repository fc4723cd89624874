CREATE TABLE "labels" (
	"id" text PRIMARY KEY NOT NULL,
	"item_id" text,
	"text_hash" text NOT NULL,
	"text" text NOT NULL,
	"sentiment" text,
	"topic" text,
	"entities" jsonb,
	"author" text NOT NULL,
	"role" text NOT NULL,
	"via" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE INDEX "labels_item_idx" ON "labels" USING btree ("item_id");--> statement-breakpoint
CREATE INDEX "labels_text_hash_idx" ON "labels" USING btree ("text_hash");--> statement-breakpoint
CREATE INDEX "labels_received_idx" ON "labels" USING btree ("received_at");