CREATE TABLE "entity_seeds" (
	"source" text PRIMARY KEY NOT NULL,
	"content_hash" text NOT NULL,
	"entities" integer NOT NULL,
	"registry_version" bigint NOT NULL,
	"seeded_at" timestamp with time zone DEFAULT now() NOT NULL
);
