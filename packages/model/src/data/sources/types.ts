import type { Example } from "../example.ts";

/** What a source loader returns: examples plus named counters worth printing (repairs, drops, …). */
export interface LoadedSource {
  examples: Example[];
  notes: Record<string, number>;
}

export interface SourceLoader {
  /** Folder name under the data dir; also the Example.source value. */
  readonly name: string;
  load(dir: string): Promise<LoadedSource>;
}

export function bumpNote(notes: Record<string, number>, key: string, by = 1): void {
  notes[key] = (notes[key] ?? 0) + by;
}
