CREATE TABLE "model_promotions" (
	"id" text PRIMARY KEY NOT NULL,
	"version_id" text NOT NULL,
	"previous_id" text,
	"kind" text NOT NULL,
	"by" text NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_versions" (
	"id" text PRIMARY KEY NOT NULL,
	"parent_id" text,
	"uri" text NOT NULL,
	"status" text NOT NULL,
	"metrics" jsonb NOT NULL,
	"data_summary" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"promoted_at" timestamp with time zone,
	"promoted_by" text
);
--> statement-breakpoint
CREATE TABLE "training_runs" (
	"id" text PRIMARY KEY NOT NULL,
	"status" text NOT NULL,
	"trigger" text NOT NULL,
	"requested_by" text NOT NULL,
	"parent_id" text,
	"challenger_id" text,
	"progress" jsonb,
	"history" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"gate" jsonb,
	"reason" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"heartbeat_at" timestamp with time zone,
	"finished_at" timestamp with time zone
);
--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_one_champion" ON "model_versions" USING btree ("status") WHERE status = 'champion';--> statement-breakpoint
CREATE UNIQUE INDEX "training_runs_one_running" ON "training_runs" USING btree ("status") WHERE status = 'running';--> statement-breakpoint
CREATE INDEX "training_runs_created_idx" ON "training_runs" USING btree ("created_at");