import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { apiKeys, sessions, users, type Db } from "@finsentry/db";

const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, opts: { N: number; r: number; p: number }) => Promise<Buffer>;

export const ROLES = ["viewer", "analyst", "admin"] as const;
export type Role = (typeof ROLES)[number];
const RANK: Record<Role, number> = { viewer: 1, analyst: 2, admin: 3 };
export const hasRole = (have: Role, need: Role) => RANK[have] >= RANK[need];

export interface Principal {
  name: string;
  role: Role;
  via: "key" | "session";
}

export const SESSION_COOKIE = "fs_session";
const SESSION_TTL_MS = 12 * 3600_000;
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const N = 16384,
    r = 8,
    p = 1;
  const hash = await scrypt(password, salt, 32, { N, r, p });
  return `scrypt$${N}$${r}$${p}$${salt.toString("base64")}$${hash.toString("base64")}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [kind, N, r, p, salt, hash] = stored.split("$");
  if (kind !== "scrypt" || !salt || !hash) return false;
  const expected = Buffer.from(hash, "base64");
  const got = await scrypt(password, Buffer.from(salt, "base64"), expected.length, { N: Number(N), r: Number(r), p: Number(p) });
  return timingSafeEqual(expected, got);
}

export const DEFAULT_KEY_DAYS = 90;

/** Creates a key `fsk_<prefix>_<secret>` valid for `expiresInDays` (90); the full key is returned once and never stored. */
export async function createApiKey(db: Db, o: { name: string; role: Role; createdBy: string; expiresInDays?: number }) {
  const prefix = randomBytes(4).toString("hex");
  const secret = randomBytes(24).toString("base64url");
  const id = randomBytes(8).toString("hex");
  const expiresAt = new Date(Date.now() + (o.expiresInDays ?? DEFAULT_KEY_DAYS) * 86_400_000);
  await db.insert(apiKeys).values({
    id,
    prefix,
    secretHash: sha256(secret),
    name: o.name,
    role: o.role,
    createdBy: o.createdBy,
    expiresAt: expiresAt.toISOString(),
  });
  return { id, prefix, name: o.name, role: o.role, expires_at: expiresAt.toISOString(), key: `fsk_${prefix}_${secret}` };
}

async function principalFromKey(db: Db, key: string): Promise<Principal | null> {
  const m = /^fsk_([0-9a-f]{8})_([A-Za-z0-9_-]{20,64})$/.exec(key);
  if (!m) return null;
  const rows = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.prefix, m[1]!), isNull(apiKeys.revokedAt), gt(apiKeys.expiresAt, sql`now()`)));
  const want = Buffer.from(sha256(m[2]!));
  const row = rows.find((r) => timingSafeEqual(Buffer.from(r.secretHash), want));
  if (!row) return null;
  void db
    .update(apiKeys)
    .set({ lastUsedAt: sql`now()` })
    .where(eq(apiKeys.id, row.id))
    .catch(() => undefined);
  return { name: `key:${row.name}`, role: row.role as Role, via: "key" };
}

async function principalFromSession(db: Db, token: string): Promise<Principal | null> {
  const [row] = await db
    .select({ name: users.name, role: users.role, expiresAt: sessions.expiresAt, disabledAt: users.disabledAt })
    .from(sessions)
    .innerJoin(users, eq(users.name, sessions.userName))
    .where(eq(sessions.tokenHash, sha256(token)));
  if (!row || row.disabledAt || new Date(row.expiresAt).getTime() < Date.now()) return null;
  return { name: row.name, role: row.role as Role, via: "session" };
}

export function readCookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? "").split(";")) {
    const [k, ...v] = part.trim().split("=");
    if (k === name) return decodeURIComponent(v.join("="));
  }
  return null;
}

/** Bearer API key, or the dashboard's session cookie. */
export async function authenticate(
  db: Db,
  headers: { authorization?: string; cookie?: string; "x-api-key"?: string | string[] },
): Promise<Principal | null> {
  const bearer =
    /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? "")?.[1] ??
    (typeof headers["x-api-key"] === "string" ? headers["x-api-key"] : undefined);
  if (bearer) return principalFromKey(db, bearer);
  const token = readCookie(headers.cookie, SESSION_COOKIE);
  return token ? principalFromSession(db, token) : null;
}

export async function login(
  db: Db,
  name: string,
  password: string,
): Promise<{ token: string; principal: Principal; expiresAt: Date } | null> {
  const [u] = await db.select().from(users).where(eq(users.name, name));
  // Verify against a dummy hash when the user does not exist, so timing does not reveal valid names.
  const ok = await verifyPassword(password, u?.passwordHash ?? DUMMY_HASH);
  if (!u || !ok || u.disabledAt) return null;
  const token = randomBytes(32).toString("base64url");
  const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
  await db.insert(sessions).values({ tokenHash: sha256(token), userName: u.name, expiresAt: expiresAt.toISOString() });
  return { token, principal: { name: u.name, role: u.role as Role, via: "session" }, expiresAt };
}
const DUMMY_HASH = "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

export async function logout(db: Db, token: string): Promise<void> {
  await db.delete(sessions).where(eq(sessions.tokenHash, sha256(token)));
}

export async function createUser(db: Db, o: { name: string; role: Role; password: string }): Promise<boolean> {
  const r = await db
    .insert(users)
    .values({ name: o.name, role: o.role, passwordHash: await hashPassword(o.password) })
    .onConflictDoNothing()
    .returning({ name: users.name });
  return r.length === 1;
}

/**
 * First run: with no users at all, creates `admin` with a random password (or FINSENTRY_ADMIN_PASSWORD) and returns
 * the one-time credential for the caller to print. Later runs return null.
 */
export async function bootstrapAdmin(
  db: Db,
  password = process.env.FINSENTRY_ADMIN_PASSWORD,
): Promise<{ name: string; password: string; generated: boolean } | null> {
  const [{ n }] = (await db.select({ n: sql<number>`count(*)::int` }).from(users)) as [{ n: number }];
  if (n > 0) return null;
  const pw = password ?? randomBytes(12).toString("base64url");
  if (!(await createUser(db, { name: "admin", role: "admin", password: pw }))) return null;
  return { name: "admin", password: pw, generated: !password };
}
