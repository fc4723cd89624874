import { createHash, randomBytes } from "node:crypto";
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import type { S3Client } from "@aws-sdk/client-s3";
import { z } from "zod";
import { Manifest, MODEL_FILES } from "@finsentry/model";
import type { ModelStore } from "./store.ts";

/**
 * Model store configuration from the environment. Credentials are optional: without them the AWS SDK's default chain
 * applies (profile, web identity, instance role). Problems name the variable, never its value.
 */
export const S3StoreConfig = z
  .object({
    /** `s3://bucket` or `s3://bucket/prefix/…`: every version is the prefix `<prefix>/<id>/`. */
    MODEL_STORE: z
      .string()
      .regex(
        /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/[A-Za-z0-9_][A-Za-z0-9._-]{0,200}){0,20}\/?$/,
        "must be s3://bucket or s3://bucket/prefix (prefix segments: letters, digits, . _ -)",
      ),
    /** S3-compatible endpoint (MinIO, Ceph, R2, …); unset = AWS S3 for the region. */
    S3_ENDPOINT: z
      .url({ protocol: /^https?$/, message: "must be an http(s) URL" })
      .refine(
        (u) => !new URL(u).username && !new URL(u).password,
        "must not carry credentials (use AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY)",
      )
      .optional(),
    S3_REGION: z
      .string()
      .regex(/^[a-z0-9-]{1,40}$/, "must be a region name such as us-east-1")
      .optional(),
    AWS_REGION: z
      .string()
      .regex(/^[a-z0-9-]{1,40}$/, "must be a region name such as us-east-1")
      .optional(),
    /** Path-style addressing (`endpoint/bucket/key`), which MinIO and most self-hosted servers need. */
    S3_FORCE_PATH_STYLE: z
      .enum(["true", "false", "1", "0", ""])
      .optional()
      .transform((v) => v === "true" || v === "1"),
    AWS_ACCESS_KEY_ID: z.string().min(1).max(256).optional(),
    AWS_SECRET_ACCESS_KEY: z.string().min(1).max(1024).optional(),
    AWS_SESSION_TOKEN: z.string().min(1).max(8192).optional(),
    /** Where downloaded versions are kept (scorers load ONNX from disk). */
    MODEL_CACHE_DIR: z.string().min(1).optional(),
  })
  .refine((c) => !!c.AWS_ACCESS_KEY_ID === !!c.AWS_SECRET_ACCESS_KEY, {
    message: "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY must be set together",
    path: ["AWS_SECRET_ACCESS_KEY"],
  });
export type S3StoreConfig = z.infer<typeof S3StoreConfig>;

/** Validates the S3 model store settings; the error lists variable names and problems only (never values). */
export function loadS3StoreConfig(env: Record<string, string | undefined> = process.env): S3StoreConfig {
  // Empty strings count as unset (compose files often write `VAR: ""`).
  const clean = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ""));
  const r = S3StoreConfig.safeParse(clean);
  if (!r.success) {
    throw new Error(
      `invalid model store configuration: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
    );
  }
  return r.data;
}

const INDEX_FILE = ".finsentry-version.json";
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
/** A file name inside a version: relative, `/`-separated, no empty, `.` or `..` segments, no hidden files. */
const RelPath = z
  .string()
  .max(500)
  .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*(\/[A-Za-z0-9_][A-Za-z0-9._-]*)*$/);
const ModelId = z
  .string()
  .regex(/^[A-Za-z0-9._-]{1,200}$/)
  .refine((s) => s !== "." && s !== "..");

/**
 * The version's index, written last: a version exists exactly when its index does, so an interrupted put leaves
 * no half version behind (the next put of the same id completes it). It lists every object with its size and sha256.
 */
const VersionIndex = z
  .object({
    format: z.literal("finsentry-store/1"),
    id: ModelId,
    files: z
      .array(z.object({ name: RelPath, size: z.number().int().nonnegative(), sha256: Sha256 }).strict())
      .min(1)
      .max(1000),
  })
  .strict();
type VersionIndex = z.infer<typeof VersionIndex>;

const sha256 = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");

const CONTENT_TYPES: Record<string, string> = {
  ".json": "application/json",
  ".md": "text/markdown; charset=utf-8",
  ".jsonl": "application/x-ndjson",
  ".onnx": "application/octet-stream",
  ".bin": "application/octet-stream",
};
const contentType = (name: string) => CONTENT_TYPES[name.slice(name.lastIndexOf("."))] ?? "application/octet-stream";

/** Files of a model directory, recursively, by relative `/` path; hidden files (`.DS_Store`, …) are not part of it. */
async function walk(root: string, rel = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
    if (e.name.startsWith(".")) continue;
    const name = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await walk(root, name)));
    else if (e.isFile()) out.push(name);
    else throw new Error(`model dir ${root}: ${name} is neither a file nor a directory`);
  }
  return out.sort();
}

/** The manifest's integrity hashes, by file name (model.onnx, tokenizer.json, weights.bin). */
function manifestHashes(manifestBytes: Uint8Array, where: string): Map<string, string> {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(manifestBytes).toString("utf8"));
  } catch {
    throw new Error(`${where}: manifest.json is not JSON`);
  }
  const m = Manifest.safeParse(json);
  if (!m.success)
    throw new Error(
      `${where}: invalid manifest.json (${m.error.issues
        .slice(0, 3)
        .map((i) => `${i.path.join(".")}: ${i.message}`)
        .join("; ")})`,
    );
  return new Map([
    [MODEL_FILES.onnx, m.data.files.onnx],
    [MODEL_FILES.tokenizer, m.data.files.tokenizer],
    [MODEL_FILES.weightsBin, m.data.files.weightsBin],
  ]);
}

const sameContents = (a: VersionIndex, b: VersionIndex) =>
  a.id === b.id &&
  a.files.length === b.files.length &&
  a.files.every((f, i) => f.name === b.files[i]!.name && f.sha256 === b.files[i]!.sha256 && f.size === b.files[i]!.size);

const httpStatus = (err: unknown) => (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
const errName = (err: unknown) => (err as { name?: string }).name ?? "";

/**
 * Model versions in an S3-compatible bucket: version `<id>` is the objects under `<prefix>/<id>/` (every file of the
 * model directory plus an index, written last, with each file's size and sha256). Versions are immutable: a put of
 * an existing id with the same contents is a no-op, with other contents an error. `localDir` downloads a version into
 * a local cache (scorers load ONNX from disk), checking every file against the index and the manifest's hashes.
 */
export class S3ModelStore implements ModelStore {
  readonly bucket: string;
  readonly prefix: string;
  readonly cacheDir: string;
  // Private fields: the client (which holds the credentials) never shows up in a logged or serialised store.
  #config: S3StoreConfig;
  #client: Promise<S3Client> | null = null;
  #downloads = new Map<string, Promise<string>>();

  constructor(config: S3StoreConfig, opts: { cacheDir?: string; client?: S3Client } = {}) {
    this.#config = config;
    const rest = config.MODEL_STORE.slice("s3://".length).replace(/\/+$/, "");
    const slash = rest.indexOf("/");
    this.bucket = slash < 0 ? rest : rest.slice(0, slash);
    this.prefix = slash < 0 ? "" : rest.slice(slash + 1);
    this.cacheDir = resolve(opts.cacheDir ?? config.MODEL_CACHE_DIR ?? new URL("../../../.data/model-cache", import.meta.url).pathname);
    if (opts.client) this.#client = Promise.resolve(opts.client);
  }

  /** Where the store is, without credentials (for logs). */
  describe(): string {
    const c = this.#config;
    return `s3://${this.bucket}${this.prefix ? `/${this.prefix}` : ""}${c.S3_ENDPOINT ? ` at ${c.S3_ENDPOINT}` : ""}${c.S3_FORCE_PATH_STYLE ? " (path-style)" : ""}; cache ${this.cacheDir}`;
  }

  toJSON() {
    return { kind: "s3", store: this.describe() };
  }

  /** The SDK is loaded on first use, so processes on the disk store never load it. */
  private client(): Promise<S3Client> {
    if (!this.#client) {
      const c = this.#config;
      this.#client = import("@aws-sdk/client-s3").then(
        ({ S3Client }) =>
          new S3Client({
            region: c.S3_REGION ?? c.AWS_REGION ?? "us-east-1",
            ...(c.S3_ENDPOINT ? { endpoint: c.S3_ENDPOINT } : {}),
            forcePathStyle: c.S3_FORCE_PATH_STYLE,
            ...(c.AWS_ACCESS_KEY_ID && c.AWS_SECRET_ACCESS_KEY
              ? {
                  credentials: {
                    accessKeyId: c.AWS_ACCESS_KEY_ID,
                    secretAccessKey: c.AWS_SECRET_ACCESS_KEY,
                    ...(c.AWS_SESSION_TOKEN ? { sessionToken: c.AWS_SESSION_TOKEN } : {}),
                  },
                }
              : {}),
            maxAttempts: 4,
          }),
      );
    }
    return this.#client;
  }

  private versionKey(id: string): string {
    return this.prefix ? `${this.prefix}/${id}` : id;
  }

  uriOf(id: string): string {
    return `s3://${this.bucket}/${this.versionKey(id)}`;
  }

  /** Bucket and version key of a URI this store wrote (`s3://bucket/prefix/id`). */
  private parseUri(uri: string): { bucket: string; key: string; id: string } {
    const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/.exec(uri);
    const segs = m ? m[2]!.split("/") : [];
    if (!m || segs.some((s) => !ModelId.safeParse(s).success)) throw new Error(`not an s3 model version URI: ${uri}`);
    return { bucket: m[1]!, key: m[2]!, id: segs[segs.length - 1]! };
  }

  private async readIndex(bucket: string, key: string): Promise<VersionIndex | null> {
    const { GetObjectCommand } = await import("@aws-sdk/client-s3");
    let bytes: Uint8Array;
    try {
      const r = await (await this.client()).send(new GetObjectCommand({ Bucket: bucket, Key: `${key}/${INDEX_FILE}` }));
      bytes = await r.Body!.transformToByteArray();
    } catch (err) {
      if (errName(err) === "NoSuchKey" || httpStatus(err) === 404) return null;
      throw new Error(`model store: cannot read s3://${bucket}/${key}/${INDEX_FILE}: ${(err as Error).message}`, { cause: err });
    }
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(bytes).toString("utf8"));
    } catch {
      throw new Error(`model store: s3://${bucket}/${key}/${INDEX_FILE} is not JSON (corrupted)`);
    }
    const p = VersionIndex.safeParse(json);
    if (!p.success)
      throw new Error(`model store: s3://${bucket}/${key}/${INDEX_FILE} is invalid (corrupted): ${p.error.issues[0]?.message ?? ""}`);
    return p.data;
  }

  async put(id: string, dir: string): Promise<string> {
    if (!ModelId.safeParse(id).success) throw new Error(`invalid model id '${id}'`);
    const key = this.versionKey(id);
    const uri = this.uriOf(id);
    const names = await walk(dir);
    if (!names.includes("manifest.json")) throw new Error(`model dir ${dir} has no manifest.json`);
    const bad = names.find((n) => !RelPath.safeParse(n).success);
    if (bad) throw new Error(`model dir ${dir}: file name '${bad}' cannot be stored (letters, digits, . _ - only)`);
    const files: VersionIndex["files"] = [];
    for (const name of names) {
      const b = await readFile(join(dir, name));
      files.push({ name, size: b.length, sha256: sha256(b) });
    }
    // Never upload a directory that fails its own manifest.
    const expected = manifestHashes(await readFile(join(dir, "manifest.json")), `model dir ${dir}`);
    for (const [name, sha] of expected) {
      const f = files.find((x) => x.name === name);
      if (!f) throw new Error(`model dir ${dir}: ${name} is missing`);
      if (f.sha256 !== sha) throw new Error(`model dir ${dir}: ${name} sha256 does not match the manifest`);
    }
    const index: VersionIndex = { format: "finsentry-store/1", id, files };

    const existing = await this.readIndex(this.bucket, key);
    if (existing) {
      if (sameContents(existing, index)) return uri;
      throw new Error(`model version ${id} already exists with other contents (versions are immutable)`);
    }
    const s3 = await this.client();
    const { PutObjectCommand } = await import("@aws-sdk/client-s3");
    for (const f of files) {
      await s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: `${key}/${f.name}`,
          Body: await readFile(join(dir, f.name)),
          ContentType: contentType(f.name),
          Metadata: { sha256: f.sha256 },
        }),
      );
    }
    // The index last, and only if no other writer completed the version meanwhile (conditional write where supported).
    try {
      await s3.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: `${key}/${INDEX_FILE}`,
          Body: JSON.stringify(index, null, 1),
          ContentType: "application/json",
          IfNoneMatch: "*",
        }),
      );
    } catch (err) {
      if (httpStatus(err) !== 412 && errName(err) !== "PreconditionFailed") throw err;
      const now = await this.readIndex(this.bucket, key);
      if (!now || !sameContents(now, index))
        throw new Error(`model version ${id} already exists with other contents (versions are immutable)`);
    }
    return uri;
  }

  async localDir(uri: string): Promise<string> {
    // Versions registered while the deployment used the disk store stay readable.
    if (uri.startsWith("file://")) return uri.slice("file://".length);
    const inflight = this.#downloads.get(uri);
    if (inflight) return inflight;
    const p = this.download(uri).finally(() => this.#downloads.delete(uri));
    this.#downloads.set(uri, p);
    return p;
  }

  private cachePath(bucket: string, key: string): string {
    const target = resolve(this.cacheDir, bucket, ...key.split("/"));
    if (!target.startsWith(this.cacheDir + sep)) throw new Error(`model store: ${key} escapes the cache directory`);
    return target;
  }

  /** Checks a cached copy against the index; false when anything differs (then it is downloaded again). */
  private async cachedIsIntact(target: string, index: VersionIndex): Promise<boolean> {
    for (const f of index.files) {
      const b = await readFile(join(target, ...f.name.split("/"))).catch(() => null);
      if (!b || b.length !== f.size || sha256(b) !== f.sha256) return false;
    }
    return true;
  }

  private async download(uri: string): Promise<string> {
    const { bucket, key, id } = this.parseUri(uri);
    const index = await this.readIndex(bucket, key);
    if (!index) throw new Error(`model store: no complete model version at ${uri}`);
    if (index.id !== id) throw new Error(`model store: ${uri} holds version ${index.id} (corrupted index)`);
    const target = this.cachePath(bucket, key);
    if (
      await stat(target).then(
        () => true,
        () => false,
      )
    ) {
      if (await this.cachedIsIntact(target, index)) return target;
      await rm(target, { recursive: true, force: true });
    }
    const { GetObjectCommand } = await import("@aws-sdk/client-s3");
    const s3 = await this.client();
    const tmp = `${target}.partial-${randomBytes(4).toString("hex")}`;
    await mkdir(tmp, { recursive: true });
    try {
      const got = new Map<string, string>();
      for (const f of index.files) {
        const r = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `${key}/${f.name}` }));
        const b = await r.Body!.transformToByteArray();
        const sum = sha256(b);
        if (b.length !== f.size || sum !== f.sha256)
          throw new Error(
            `model store: object s3://${bucket}/${key}/${f.name} is corrupted (sha256 or size does not match the version index)`,
          );
        got.set(f.name, sum);
        const file = join(tmp, ...f.name.split("/"));
        await mkdir(dirname(file), { recursive: true });
        await writeFile(file, b);
      }
      const manifest = await readFile(join(tmp, "manifest.json")).catch(() => null);
      if (!manifest) throw new Error(`model store: ${uri} has no manifest.json`);
      for (const [name, sha] of manifestHashes(manifest, `model store: ${uri}`)) {
        if (got.get(name) !== sha)
          throw new Error(`model store: object s3://${bucket}/${key}/${name} is corrupted (sha256 does not match manifest.json)`);
      }
      await mkdir(dirname(target), { recursive: true });
      try {
        await rename(tmp, target);
      } catch (err) {
        // Another process of this host finished the same download first: theirs is as good as ours.
        if (
          !(await stat(target).then(
            () => true,
            () => false,
          ))
        )
          throw err;
        await rm(tmp, { recursive: true, force: true });
      }
      return target;
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  async remove(uri: string): Promise<void> {
    if (uri.startsWith("file://")) {
      await rm(uri.slice("file://".length), { recursive: true, force: true });
      return;
    }
    const { bucket, key } = this.parseUri(uri);
    const { DeleteObjectCommand, ListObjectsV2Command } = await import("@aws-sdk/client-s3");
    const s3 = await this.client();
    // The index first: from then on the version no longer exists, even if deleting the rest is interrupted.
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${key}/${INDEX_FILE}` }));
    let token: string | undefined;
    do {
      const page = await s3.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: `${key}/`, ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const o of page.Contents ?? []) if (o.Key) await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: o.Key }));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    await rm(this.cachePath(bucket, key), { recursive: true, force: true });
  }
}
