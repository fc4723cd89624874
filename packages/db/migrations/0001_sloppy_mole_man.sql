CREATE TABLE "alert_baselines" (
	"spec_key" text NOT NULL,
	"entity_key" text NOT NULL,
	"state" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_baselines_spec_key_entity_key_pk" PRIMARY KEY("spec_key","entity_key")
);
--> statement-breakpoint
CREATE TABLE "alert_engine_state" (
	"id" text PRIMARY KEY NOT NULL,
	"partitions" jsonb NOT NULL,
	"watermark" bigint,
	"spec_cursors" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_events" (
	"id" text PRIMARY KEY NOT NULL,
	"alert_id" text NOT NULL,
	"seq" integer NOT NULL,
	"type" text NOT NULL,
	"state" text NOT NULL,
	"actor" text NOT NULL,
	"note" text,
	"at" timestamp with time zone NOT NULL,
	"payload" jsonb NOT NULL,
	"published" boolean DEFAULT false NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "alert_items" (
	"item_id" text NOT NULL,
	"entity_key" text NOT NULL,
	"event_time" bigint NOT NULL,
	"score" real NOT NULL,
	"confidence" real NOT NULL,
	"bearish" boolean NOT NULL,
	"topic" text NOT NULL,
	"topic_confidence" real NOT NULL,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_items_item_id_entity_key_pk" PRIMARY KEY("item_id","entity_key")
);
--> statement-breakpoint
CREATE TABLE "alert_rule_states" (
	"rule_id" text NOT NULL,
	"entity_key" text NOT NULL,
	"state" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "alert_rule_states_rule_id_entity_key_pk" PRIMARY KEY("rule_id","entity_key")
);
--> statement-breakpoint
CREATE TABLE "alert_rules" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"type" text NOT NULL,
	"severity" text NOT NULL,
	"enabled" boolean DEFAULT true NOT NULL,
	"definition" jsonb NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	"source" text DEFAULT 'api' NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text
);
--> statement-breakpoint
CREATE TABLE "alerts" (
	"id" text PRIMARY KEY NOT NULL,
	"rule_id" text NOT NULL,
	"rule_version" integer NOT NULL,
	"rule_name" text NOT NULL,
	"rule_type" text NOT NULL,
	"entity_key" text NOT NULL,
	"severity" text NOT NULL,
	"state" text NOT NULL,
	"title" text NOT NULL,
	"summary" text NOT NULL,
	"figures" jsonb NOT NULL,
	"fire_figures" jsonb NOT NULL,
	"evidence_item_ids" jsonb NOT NULL,
	"fired_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"acknowledged_at" timestamp with time zone,
	"acknowledged_by" text,
	"resolved_at" timestamp with time zone,
	"resolved_by" text,
	"resolve_reason" text,
	"last_event_seq" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "late_items" (
	"item_id" text PRIMARY KEY NOT NULL,
	"entity_keys" jsonb NOT NULL,
	"event_time" bigint NOT NULL,
	"watermark" bigint NOT NULL,
	"lateness_ms" bigint NOT NULL,
	"reason" text NOT NULL,
	"recorded_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "alert_events" ADD CONSTRAINT "alert_events_alert_id_alerts_id_fk" FOREIGN KEY ("alert_id") REFERENCES "public"."alerts"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "alert_events_alert_seq_uq" ON "alert_events" USING btree ("alert_id","seq");--> statement-breakpoint
CREATE INDEX "alert_events_unpublished_idx" ON "alert_events" USING btree ("created_at") WHERE published = false;--> statement-breakpoint
CREATE INDEX "alert_items_event_time_idx" ON "alert_items" USING btree ("event_time");--> statement-breakpoint
CREATE UNIQUE INDEX "alerts_open_rule_entity_uq" ON "alerts" USING btree ("rule_id","entity_key") WHERE state <> 'resolved';--> statement-breakpoint
CREATE INDEX "alerts_state_fired_idx" ON "alerts" USING btree ("state","fired_at");--> statement-breakpoint
CREATE INDEX "alerts_entity_fired_idx" ON "alerts" USING btree ("entity_key","fired_at");--> statement-breakpoint
CREATE INDEX "alerts_fired_idx" ON "alerts" USING btree ("fired_at");--> statement-breakpoint
CREATE INDEX "late_items_recorded_idx" ON "late_items" USING btree ("recorded_at");