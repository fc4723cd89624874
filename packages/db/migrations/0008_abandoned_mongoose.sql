-- Keys made before expiry existed: valid for a year from creation, and at least 30 days from this upgrade.
ALTER TABLE "api_keys" ADD COLUMN "expires_at" timestamp with time zone;--> statement-breakpoint
UPDATE "api_keys" SET "expires_at" = greatest("created_at" + interval '365 days', now() + interval '30 days');--> statement-breakpoint
ALTER TABLE "api_keys" ALTER COLUMN "expires_at" SET NOT NULL;
