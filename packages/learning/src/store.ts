import { cp, mkdir, readFile, rm, stat } from "node:fs/promises";
import { join, resolve } from "node:path";

/**
 * Where model version directories live. Versions are immutable: `put` refuses to overwrite an id.
 * Disk is the implementation here; an S3-compatible store would implement the same three calls.
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
    if (await stat(target).then(() => true, () => false)) {
      // Same id with the same manifest is the same version (an interrupted earlier put); anything else is refused.
      const [a, b] = await Promise.all([readFile(join(target, "manifest.json"), "utf8").catch(() => ""), readFile(join(dir, "manifest.json"), "utf8")]);
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

/** The store every service of one deployment shares: MODEL_REGISTRY_DIR (a shared volume), or `.data/models`. */
export function defaultModelStore(): DiskModelStore {
  return new DiskModelStore(process.env.MODEL_REGISTRY_DIR ?? resolve(new URL("../../../.data/models", import.meta.url).pathname));
}
