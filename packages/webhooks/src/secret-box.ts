import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

/**
 * At-rest protection of signing secrets. HMAC needs the secret itself, so it cannot be hashed like a password.
 * With a 32-byte key (WEBHOOK_SECRET_KEY) secrets are sealed with AES-256-GCM as `enc:v1:<base64 iv|tag|ciphertext>`,
 * so a database dump alone cannot forge signatures; without a key they are stored as plain `whsec_…` and
 * protected only by database access control. Plain values stay readable after a key is introduced.
 */
const TAG = "enc:v1:";

export function sealSecret(secret: string, key: string | undefined): string {
  if (!key) return secret;
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyBytes(key), iv);
  const ct = Buffer.concat([cipher.update(secret, "utf8"), cipher.final()]);
  return TAG + Buffer.concat([iv, cipher.getAuthTag(), ct]).toString("base64");
}

export function openSecret(stored: string, key: string | undefined): string {
  if (!stored.startsWith(TAG)) return stored;
  if (!key) throw new Error("signing secret is encrypted but WEBHOOK_SECRET_KEY is not configured");
  const raw = Buffer.from(stored.slice(TAG.length), "base64");
  const decipher = createDecipheriv("aes-256-gcm", keyBytes(key), raw.subarray(0, 12));
  decipher.setAuthTag(raw.subarray(12, 28));
  return Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8");
}

function keyBytes(key: string): Buffer {
  const k = Buffer.from(key, "base64");
  if (k.length !== 32) throw new Error("WEBHOOK_SECRET_KEY must be base64 of 32 bytes");
  return k;
}
