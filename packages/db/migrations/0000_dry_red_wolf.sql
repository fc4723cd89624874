CREATE TABLE "entity_mentions" (
	"item_id" text NOT NULL,
	"start" integer NOT NULL,
	"end" integer NOT NULL,
	"entity_key" text NOT NULL,
	"type" text NOT NULL,
	"text" text NOT NULL,
	"published_at" timestamp with time zone NOT NULL,
	CONSTRAINT "entity_mentions_item_id_start_end_pk" PRIMARY KEY("item_id","start","end")
);
--> statement-breakpoint
CREATE TABLE "items" (
	"id" text PRIMARY KEY NOT NULL,
	"external_id" text,
	"source" text NOT NULL,
	"stream" text NOT NULL,
	"published_at" timestamp with time zone NOT NULL,
	"ingested_at" timestamp with time zone NOT NULL,
	"text" text NOT NULL,
	"url" text,
	"author" text,
	"lang" text,
	"raw" jsonb,
	"scored_published" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scores" (
	"item_id" text NOT NULL,
	"model_version" text NOT NULL,
	"sentiment" text NOT NULL,
	"sentiment_score" real NOT NULL,
	"confidence" real NOT NULL,
	"topic" text NOT NULL,
	"topic_index" smallint NOT NULL,
	"topic_confidence" real NOT NULL,
	"output" jsonb NOT NULL,
	"scored_at" timestamp with time zone NOT NULL,
	CONSTRAINT "scores_item_id_model_version_pk" PRIMARY KEY("item_id","model_version")
);
--> statement-breakpoint
CREATE TABLE "streams" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"topic" text,
	"mapping" jsonb NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "entity_mentions" ADD CONSTRAINT "entity_mentions_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "scores" ADD CONSTRAINT "scores_item_id_items_id_fk" FOREIGN KEY ("item_id") REFERENCES "public"."items"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "mentions_entity_time_idx" ON "entity_mentions" USING btree ("entity_key","published_at");--> statement-breakpoint
CREATE INDEX "items_published_at_idx" ON "items" USING btree ("published_at");--> statement-breakpoint
CREATE INDEX "items_stream_idx" ON "items" USING btree ("stream","published_at");--> statement-breakpoint
CREATE INDEX "scores_item_idx" ON "scores" USING btree ("item_id");