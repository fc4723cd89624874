import type { z } from "zod";

/** Why a registry change was refused; `status` is the HTTP status the API answers with. */
export type EntityErrorCode =
  | "validation_failed" // 400: the input does not match its schema (see `issues`)
  | "merge_into_self" // 400
  | "alias_not_on_entity" // 400: a split names an alias the entity does not have
  | "not_found" // 404: unknown entity id (or alias of that entity)
  | "alias_conflict" // 409: the alias already belongs to another entity
  | "id_conflict" // 409: an entity with that id exists
  | "merged"; // 409: the entity was merged into another; change that one

const STATUS: Record<EntityErrorCode, 400 | 404 | 409> = {
  validation_failed: 400,
  merge_into_self: 400,
  alias_not_on_entity: 400,
  not_found: 404,
  alias_conflict: 409,
  id_conflict: 409,
  merged: 409,
};

export class EntityStoreError extends Error {
  override readonly name = "EntityStoreError";
  readonly status: 400 | 404 | 409;
  constructor(
    readonly code: EntityErrorCode,
    message: string,
    /** For `validation_failed`: the zod error, so the API answers with its usual list of problems. */
    readonly issues?: z.ZodError,
    /** For conflicts: the entity that holds the alias or id. */
    readonly holder?: string,
  ) {
    super(message);
    this.status = STATUS[code];
  }
}

export const notFound = (id: string) => new EntityStoreError("not_found", `no entity '${id}'`);
