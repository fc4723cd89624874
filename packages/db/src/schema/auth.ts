import { sql } from "drizzle-orm";
import { index, pgTable, text, timestamp } from "drizzle-orm/pg-core";

const tz = (name: string) => timestamp(name, { withTimezone: true, mode: "string" });

/** Dashboard users; passwords are scrypt hashes (`scrypt$N$r$p$salt$hash`). */
export const users = pgTable("users", {
  name: text("name").primaryKey(),
  role: text("role").notNull(), // viewer | analyst | admin
  passwordHash: text("password_hash").notNull(),
  createdAt: tz("created_at")
    .notNull()
    .default(sql`now()`),
  disabledAt: tz("disabled_at"),
});

/** API keys: only a SHA-256 of the secret part is stored; the prefix identifies the key in lists and logs. */
export const apiKeys = pgTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    prefix: text("prefix").notNull(),
    secretHash: text("secret_hash").notNull(),
    name: text("name").notNull(),
    role: text("role").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: tz("created_at")
      .notNull()
      .default(sql`now()`),
    /** Every key expires (keys made before expiry existed were given a date by migration 0008). */
    expiresAt: tz("expires_at").notNull(),
    lastUsedAt: tz("last_used_at"),
    revokedAt: tz("revoked_at"),
  },
  (t) => [index("api_keys_prefix_idx").on(t.prefix)],
);

/** Dashboard sessions; the cookie carries the token, the table only its SHA-256. */
export const sessions = pgTable("sessions", {
  tokenHash: text("token_hash").primaryKey(),
  userName: text("user_name")
    .notNull()
    .references(() => users.name, { onDelete: "cascade" }),
  createdAt: tz("created_at")
    .notNull()
    .default(sql`now()`),
  expiresAt: tz("expires_at").notNull(),
});
