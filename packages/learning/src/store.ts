import { cp, mkdir, readFile, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Logger } from "@finsentry/core";
import { loadS3StoreConfig, S3ModelStore } from "./s3-store.ts";

/**
 * Where model version directories live. Versions are immutable: `put` refuses to overwrite an id.
 * DiskModelStore (a directory, e.g. a shared volume) and S3ModelStore (an S3-compatible bucket) implement it.
 */
export interface ModelStore {
  /** Copies a finished model directory in; returns its URI. */
  put(id: string, dir: string): Promise<string>;
  /** A local directory holding the version (downloaded first for remote stores). */
  localDir(uri: string): Promise<string>;
  remove(uri: string): Promise<void>;
}

export class DiskModelStore implements ModelStore {
  constructor(private root: string) {}

  async put(id: string, dir: string): Promise<string> {
    if (!/^[A-Za-z0-9._-]{1,200}$/.test(id)) throw new Error(`invalid model id '${id}'`);
    const target = join(this.root, id);
    if (
      await stat(target).then(
        () => true,
        () => false,
      )
    ) {
      // Same id with the same manifest is the same version (an interrupted earlier put); anything else is refused.
      const [a, b] = await Promise.all([
        readFile(join(target, "manifest.json"), "utf8").catch(() => ""),
        readFile(join(dir, "manifest.json"), "utf8"),
      ]);
      if (a !== b) throw new Error(`model version ${id} already exists with other contents (versions are immutable)`);
      return `file://${resolve(target)}`;
    }
    await mkdir(this.root, { recursive: true });
    await cp(dir, target, { recursive: true });
    return `file://${resolve(target)}`;
  }

  async localDir(uri: string): Promise<string> {
    if (!uri.startsWith("file://")) throw new Error(`DiskModelStore cannot read ${uri}`);
    return uri.slice("file://".length);
  }

  async remove(uri: string): Promise<void> {
    await rm(await this.localDir(uri), { recursive: true, force: true });
  }
}

/**
 * The store every service of one deployment shares: an S3-compatible bucket when MODEL_STORE=s3://bucket/prefix is
 * set (S3_ENDPOINT, S3_REGION, S3_FORCE_PATH_STYLE, AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, MODEL_CACHE_DIR), else
 * the directory MODEL_REGISTRY_DIR (a shared volume), or `.data/models`. Invalid settings throw at start.
 */
export function defaultModelStore(log?: Logger, env: Record<string, string | undefined> = process.env): ModelStore {
  if (env.MODEL_STORE) {
    const store = new S3ModelStore(loadS3StoreConfig(env));
    log?.info({ modelStore: store.describe() }, "model versions are stored in S3");
    return store;
  }
  const root = env.MODEL_REGISTRY_DIR ?? resolve(new URL("../../../.data/models", import.meta.url).pathname);
  log?.info({ modelStore: root }, "model versions are stored on disk");
  return new DiskModelStore(root);
}
